//! The `systemctl` side of the supervisor protocol: launching a unit's supervisor and
//! talking to a running one over its control socket.
//!
//! A supervisor must outlive the `systemctl` that starts it and must not be its child
//! (nobody would reap it, and a killed `systemctl` must not take it along): we fork an
//! intermediate process that forks the supervisor and exits at once; we reap the
//! intermediate, the supervisor is adopted by the nearest subreaper. Everything the
//! children need is prepared before the first fork, because `systemctl` may be
//! multi-threaded (parallel launches) and only async-signal-safe calls are allowed
//! between `fork` and `exec` there.

use super::protocol::{LaunchArgs, Reply, Request, StartOutcome};
use crate::scope::{Scope, ScopeKind};
use crate::state::{SocketAddress, UnitPaths};
use crate::{Error, Result};
use std::ffi::CString;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

const SELF_EXE: &str = "/proc/self/exe";

/// Starts a supervisor for `unit` and, unless `no_block`, waits for its start report.
/// `restart` marks an automatic restart (it keeps `NRestarts=` counting).
pub fn launch(scope: &Scope, unit: &str, no_block: bool, restart: bool) -> Result<StartOutcome> {
    launch_with_stdio(scope, unit, no_block, restart, false)
}

/// [`launch`]; with `inherit_stdio` the supervisor and the unit's processes keep our
/// stdin/stdout/stderr (`systemd-run --pipe`) instead of /dev/null.
pub fn launch_with_stdio(
    scope: &Scope,
    unit: &str,
    no_block: bool,
    restart: bool,
    inherit_stdio: bool,
) -> Result<StartOutcome> {
    let report = if no_block { None } else { Some(report_pipe()?) };
    let args = LaunchArgs {
        scope: scope.kind.clone(),
        root: (!scope.root.is_host()).then(|| scope.root.dir().to_path_buf()),
        unit: unit.to_string(),
        report_fd: report.as_ref().map(|(_, w)| w.as_raw_fd()),
        restart,
        inherit_stdio,
    };
    let argv = c_argv(&args)?;
    let write_fd = report.as_ref().map(|(_, w)| w.as_raw_fd());
    spawn_detached(&argv, write_fd, inherit_stdio, capsule_credentials(scope)?)?;
    let Some((read_end, write_end)) = report else {
        return Ok(StartOutcome::Started);
    };
    // Only the supervisor may hold a write end now, so EOF means it is gone.
    drop(write_end);
    Ok(read_report(File::from(read_end)))
}

/// A capsule's units run as the capsule's user. `systemctl --capsule` has become that
/// user already ([`crate::capsule::enter`]); a caller that is still root (any other
/// front end) gets its supervisors switched here, to the uid/gid of the running capsule.
fn capsule_credentials(scope: &Scope) -> Result<Option<(u32, u32)>> {
    let ScopeKind::Capsule(name) = &scope.kind else {
        return Ok(None);
    };
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    match crate::capsule::running_uid(&scope.root, name) {
        Some(uid) => Ok(Some((uid, uid))),
        None => Err(Error::Invalid(
            crate::capsule::CapsuleError::NotRunning(name.clone()).to_string(),
        )),
    }
}

/// The report pipe: both ends close-on-exec; the write end is made inheritable only in
/// the supervisor, just before its `exec`. Kept above 2 so that pointing the supervisor's
/// standard streams at /dev/null cannot clobber it.
fn report_pipe() -> Result<(OwnedFd, OwnedFd)> {
    let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| Error::io("pipe", e.into()))?;
    if write.as_raw_fd() > 2 {
        return Ok((read, write));
    }
    let high = crate::sys::dup_above(write.as_raw_fd(), 3).map_err(|e| Error::io("pipe", e))?;
    Ok((read, high))
}

fn c_argv(args: &LaunchArgs) -> Result<Vec<CString>> {
    std::iter::once(std::ffi::OsString::from("unitbox"))
        .chain(args.to_args())
        .map(|a| {
            CString::new(a.as_bytes().to_vec())
                .map_err(|_| Error::Invalid(format!("NUL byte in {}", a.to_string_lossy())))
        })
        .collect()
}

/// Double fork: the intermediate child forks the supervisor and exits; the supervisor
/// starts a new session, gets /dev/null as stdin/stdout/stderr and execs us again.
fn spawn_detached(
    argv: &[CString],
    report_fd: Option<RawFd>,
    inherit_stdio: bool,
    switch_to: Option<(u32, u32)>,
) -> Result<()> {
    let exe = CString::new(SELF_EXE).map_err(|_| Error::Invalid(SELF_EXE.into()))?;
    let devnull = CString::new("/dev/null").map_err(|_| Error::Invalid("/dev/null".into()))?;
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    // SAFETY: fork; the children only make async-signal-safe calls (fork, setsid, open,
    // dup2, fcntl, execv, _exit) on data prepared above, then exec or _exit.
    let intermediate = unsafe { libc::fork() };
    if intermediate < 0 {
        return Err(Error::io(SELF_EXE, io::Error::last_os_error()));
    }
    if intermediate == 0 {
        // SAFETY: see above.
        unsafe {
            match libc::fork() {
                0 => exec_supervisor(
                    &exe,
                    &ptrs,
                    (!inherit_stdio).then_some(&devnull),
                    report_fd,
                    switch_to,
                ),
                pid if pid < 0 => libc::_exit(1),
                _ => libc::_exit(0),
            }
        }
    }
    let status = loop {
        match crate::sys::waitpid(intermediate, 0) {
            Ok(reaped) => break reaped.map_or(0, |(_, status)| status),
            Err(err) if err.kind() != io::ErrorKind::Interrupted => {
                return Err(Error::io(SELF_EXE, err))
            }
            Err(_) => {}
        }
    };
    if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
        Ok(())
    } else {
        Err(Error::io(
            SELF_EXE,
            io::Error::other("could not fork the supervisor"),
        ))
    }
}

/// In the supervisor child, between fork and exec: async-signal-safe calls only. A
/// capsule's supervisor drops to the capsule's user first.
///
/// # Safety
/// Must only be called in a freshly forked child; never returns.
unsafe fn exec_supervisor(
    exe: &CString,
    argv: &[*const libc::c_char],
    devnull: Option<&CString>,
    report_fd: Option<RawFd>,
    switch_to: Option<(u32, u32)>,
) -> ! {
    // SAFETY: async-signal-safe libc calls on the C strings and the NULL-terminated argv
    // the caller prepared before the fork; see the function's safety section.
    unsafe {
        libc::setsid();
        if let Some((uid, gid)) = switch_to {
            let groups = [gid];
            if libc::setgroups(1, groups.as_ptr()) != 0
                || libc::setgid(gid) != 0
                || libc::setuid(uid) != 0
            {
                libc::_exit(1);
            }
        }
        let null = devnull.map_or(-1, |d| libc::open(d.as_ptr(), libc::O_RDWR));
        if null >= 0 {
            for fd in 0..3 {
                libc::dup2(null, fd);
            }
            if null > 2 {
                libc::close(null);
            }
        }
        if let Some(fd) = report_fd {
            libc::fcntl(fd, libc::F_SETFD, 0);
        }
        libc::execv(exe.as_ptr(), argv.as_ptr());
        libc::_exit(127)
    }
}

/// One line from the supervisor; EOF or garbage means it died: `resources`.
fn read_report(read_end: File) -> StartOutcome {
    let mut line = String::new();
    let mut reader = BufReader::new(read_end);
    loop {
        match reader.read_line(&mut line) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Ok(n) if n > 0 => {
                if let Some(outcome) = StartOutcome::decode(&line) {
                    return outcome;
                }
                log::warn!("unexpected start report from the supervisor: {line:?}");
            }
            _ => {}
        }
        return StartOutcome::Failed {
            result: "resources".into(),
        };
    }
}

/// Sends one request to a running supervisor and waits for its answer, at most `timeout`
/// (`None`: as long as it takes — a stop may legitimately take `TimeoutStopSec=` several
/// times over).
pub fn request(paths: &UnitPaths, req: &Request, timeout: Option<Duration>) -> Result<Reply> {
    let path = socket_display(&paths.control);
    let err = |e: io::Error| Error::io(&path, e);
    let addr = paths.control.to_socket_addr().map_err(err)?;
    let mut stream = UnixStream::connect_addr(&addr).map_err(err)?;
    stream.set_read_timeout(timeout).map_err(err)?;
    stream.write_all(req.encode().as_bytes()).map_err(err)?;
    let mut line = String::new();
    let mut reader = BufReader::new(stream);
    loop {
        match reader.read_line(&mut line) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(err(e)),
            Ok(_) => break,
        }
    }
    Reply::decode(&line).ok_or_else(|| {
        err(io::Error::new(
            io::ErrorKind::InvalidData,
            if line.is_empty() {
                "the supervisor closed the connection".to_string()
            } else {
                format!("unexpected reply {:?}", line.trim_end())
            },
        ))
    })
}

/// Asks a socket unit's supervisor for its listening descriptors ([`Request::Fds`]).
pub fn request_fds(paths: &UnitPaths, unit: &str, timeout: Duration) -> Result<Vec<OwnedFd>> {
    use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
    let path = socket_display(&paths.control);
    let err = |e: io::Error| Error::io(&path, e);
    let addr = paths.control.to_socket_addr().map_err(err)?;
    let mut stream = UnixStream::connect_addr(&addr).map_err(err)?;
    stream.set_read_timeout(Some(timeout)).map_err(err)?;
    stream
        .write_all(
            Request::Fds {
                unit: unit.to_string(),
            }
            .encode()
            .as_bytes(),
        )
        .map_err(err)?;
    let mut buf = [0u8; 256];
    let mut space = nix::cmsg_space!([RawFd; 253]);
    let mut iov = [io::IoSliceMut::new(&mut buf)];
    let msg = recvmsg::<()>(
        stream.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )
    .map_err(|e| err(e.into()))?;
    let mut fds = Vec::new();
    for cmsg in msg.cmsgs().map_err(|e| err(e.into()))? {
        if let ControlMessageOwned::ScmRights(received) = cmsg {
            fds.extend(crate::sys::adopt_received(received));
        }
    }
    let n = msg.bytes;
    let line = String::from_utf8_lossy(&buf[..n]).into_owned();
    match Reply::decode(&line) {
        Some(Reply::Ok) => Ok(fds),
        Some(Reply::Failed { result }) => Err(Error::Invalid(result)),
        None => Err(err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("unexpected reply {:?}", line.trim_end()),
        ))),
    }
}

fn socket_display(addr: &SocketAddress) -> PathBuf {
    match addr {
        SocketAddress::Path(p) => p.clone(),
        SocketAddress::Abstract(name) => {
            let mut v = b"@".to_vec();
            v.extend_from_slice(name);
            Path::new(std::ffi::OsStr::from_bytes(&v)).to_path_buf()
        }
    }
}
