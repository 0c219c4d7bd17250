//! Starting one process the way systemd's `exec_child()` does: everything is prepared
//! before `fork()` (C strings, group lists, file descriptors); the child only makes
//! async-signal-safe system calls, in systemd's order:
//!
//! signal mask and dispositions (207) → user lookup result (217/216) → `setsid` (220) →
//! stdin/stdout/stderr (208/209/222) → passed fds (202) → OOM score (206) → nice (201) →
//! CPU affinity (215) → I/O priority (211) → rlimits (205) → umask → chroot (210) →
//! setgid, setgroups (216) → bounding and ambient capabilities (218) → setuid (217) →
//! ambient again (218) → chdir (200) → secure bits (213) → execve (203).
//!
//! A failing step makes the child exit with that code and also write `(code, errno)` to a
//! close-on-exec pipe; the parent reads the pipe to learn that `execve()` succeeded (EOF
//! with no data, needed for `Type=exec`) or why it failed.

use super::caps::Privileges;
use super::credentials::{CredentialError, Credentials};
use super::environment::EnvBlock;
use super::exit_status::code;
use super::limits::ResourceLimit;
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// What one of fds 0–2 of the child becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildStdio {
    /// `/dev/null`, opened in the child.
    Null,
    /// Whatever the spawning process has on that fd.
    Inherit,
    /// A descriptor of the parent (a pipe to the journal, an opened file, a socket). It
    /// is duplicated; the caller keeps ownership.
    Fd(RawFd),
    /// A terminal device, opened in the child after `setsid()` so it becomes the
    /// controlling terminal.
    Tty(PathBuf),
    /// The same as the child's fd 0 (for stdout) or fd 1 (for stderr): `inherit`.
    SameAs(RawFd),
}

/// Everything needed to start one process; built by [`super::prepare`] from a unit's
/// settings, or by hand.
#[derive(Debug, Clone)]
pub struct ProcessSpec {
    /// The executable as seen from inside the (ch)root, or the errno of its lookup
    /// (reported as 203/EXEC at the exec step).
    pub executable: Result<PathBuf, i32>,
    /// argv, argv[0] included, already `$`-expanded.
    pub argv: Vec<String>,
    pub env: EnvBlock,
    /// Add `SYSTEMD_EXEC_PID=<pid of the child>`.
    pub set_exec_pid: bool,
    /// Add `LISTEN_PID=<pid of the child>` (socket activation, sd_listen_fds(3)).
    pub set_listen_pid: bool,
    /// The identity to switch to, or why it could not be determined (217/216 in the child).
    pub credentials: Result<Credentials, CredentialError>,
    /// Host directory to `chroot()` into (`RootDirectory=`).
    pub chroot: Option<PathBuf>,
    /// Inside the root; `None` means `/`.
    pub working_directory: Option<PathBuf>,
    /// The `-` prefix of `WorkingDirectory=`: a failing `chdir()` is ignored.
    pub working_directory_optional: bool,
    pub umask: u32,
    pub nice: Option<i32>,
    pub limits: Vec<ResourceLimit>,
    pub stdin: ChildStdio,
    pub stdout: ChildStdio,
    pub stderr: ChildStdio,
    /// Descriptors that become fds 3, 4, … (socket activation). Everything else above 2
    /// is closed at exec.
    pub pass_fds: Vec<RawFd>,
    /// `setsid()`: a service process leads its own session and process group.
    pub new_session: bool,
    /// `IgnoreSIGPIPE=` (default yes).
    pub ignore_sigpipe: bool,
    /// `OOMScoreAdjust=`, `CPUAffinity=` (the mask), the `ioprio` value.
    pub oom_score_adjust: Option<i32>,
    pub cpu_affinity: Option<Vec<libc::c_ulong>>,
    pub io_priority: Option<i32>,
    /// Capabilities and secure bits; `None` under the `+` prefix (no sandboxing).
    pub privileges: Option<Privileges>,
}

impl ProcessSpec {
    /// A spec for running `argv` as is: no credential change, stdio inherited.
    pub fn new(executable: impl Into<PathBuf>, argv: Vec<String>, env: EnvBlock) -> Self {
        ProcessSpec {
            executable: Ok(executable.into()),
            argv,
            env,
            set_exec_pid: false,
            set_listen_pid: false,
            credentials: Ok(Credentials::default()),
            chroot: None,
            working_directory: None,
            working_directory_optional: false,
            umask: 0o022,
            nice: None,
            limits: Vec::new(),
            stdin: ChildStdio::Null,
            stdout: ChildStdio::Inherit,
            stderr: ChildStdio::Inherit,
            pass_fds: Vec::new(),
            new_session: true,
            ignore_sigpipe: true,
            oom_score_adjust: None,
            cpu_affinity: None,
            io_priority: None,
            privileges: None,
        }
    }
}

/// Why the child did not reach `execve()` or why `execve()` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecFailure {
    /// systemd's exit code of the failed step (203 for EXEC, …); the child exits with it.
    pub exit_code: i32,
    pub errno: i32,
}

impl std::fmt::Display for ExecFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let step = super::exit_status::exit_status_name(self.exit_code).unwrap_or("EXEC");
        write!(
            f,
            "Failed at step {step} spawning process: {}",
            io::Error::from_raw_os_error(self.errno)
        )
    }
}

/// A started child.
#[derive(Debug)]
pub struct Spawned {
    pub pid: i32,
    /// Read end of the exec-status pipe: EOF alone means `execve()` succeeded.
    status: OwnedFd,
}

impl Spawned {
    /// The exec-status pipe, for a caller's poll loop: readable once the child has
    /// executed its program or failed.
    pub fn status_fd(&self) -> RawFd {
        self.status.as_raw_fd()
    }

    /// Blocks until the child has executed its program (`Ok`) or failed before or at
    /// `execve()` (the child then exits with `exit_code`; it must still be reaped).
    pub fn wait_exec(&self) -> Result<(), ExecFailure> {
        let mut buf = [0u8; 8];
        let mut got = 0;
        while got < buf.len() {
            match nix::unistd::read(self.status.as_raw_fd(), &mut buf[got..]) {
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) | Ok(0) => break,
                Ok(n) => got += n,
            }
        }
        if got < buf.len() {
            return Ok(());
        }
        let exit_code = i32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]);
        let errno = i32::from_ne_bytes([buf[4], buf[5], buf[6], buf[7]]);
        Err(ExecFailure { exit_code, errno })
    }
}

/// Raw data the child uses; every pointer stays valid because `Prepared` outlives the
/// fork in the parent and is copied with the address space into the child.
struct Prepared {
    executable: Option<CString>,
    executable_errno: i32,
    argv: Vec<CString>,
    argv_ptrs: Vec<*const libc::c_char>,
    /// Owns the strings `env_ptrs` points to.
    _env_storage: Vec<CString>,
    /// `SYSTEMD_EXEC_PID=` followed by room for the digits, filled in by the child.
    exec_pid_slot: Vec<u8>,
    /// `LISTEN_PID=` and room for the digits, filled in by the child.
    listen_pid_slot: Vec<u8>,
    env_ptrs: Vec<*const libc::c_char>,
    chroot: Option<CString>,
    working_directory: Option<CString>,
    tty: [Option<CString>; 3],
    groups: Option<Vec<libc::gid_t>>,
    /// `OOMScoreAdjust=` as the text written to `/proc/self/oom_score_adj`.
    oom_text: Option<Vec<u8>>,
}

const EXEC_PID_PREFIX: &[u8] = b"SYSTEMD_EXEC_PID=";
const LISTEN_PID_PREFIX: &[u8] = b"LISTEN_PID=";

fn cstring(bytes: &[u8]) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

fn prepare(spec: &ProcessSpec) -> io::Result<Prepared> {
    let (executable, executable_errno) = match &spec.executable {
        Ok(p) => (Some(cstring(p.as_os_str().as_bytes())?), 0),
        Err(errno) => (None, *errno),
    };
    let argv = spec
        .argv
        .iter()
        .map(|a| cstring(a.as_bytes()))
        .collect::<io::Result<Vec<_>>>()?;
    let mut argv_ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());
    let mut env_block = spec.env.clone();
    env_block.unset("SYSTEMD_EXEC_PID");
    if spec.set_listen_pid {
        env_block.unset("LISTEN_PID");
    }
    let env = env_block.to_cstrings();
    let mut exec_pid_slot = Vec::new();
    if spec.set_exec_pid {
        exec_pid_slot.extend_from_slice(EXEC_PID_PREFIX);
        exec_pid_slot.resize(EXEC_PID_PREFIX.len() + 21, 0);
    }
    let mut listen_pid_slot = Vec::new();
    if spec.set_listen_pid {
        listen_pid_slot.extend_from_slice(LISTEN_PID_PREFIX);
        listen_pid_slot.resize(LISTEN_PID_PREFIX.len() + 21, 0);
    }
    let mut env_ptrs: Vec<*const libc::c_char> = Vec::with_capacity(env.len() + 3);
    if spec.set_listen_pid {
        // First, as 252's build_environment() puts LISTEN_PID before the others.
        env_ptrs.push(listen_pid_slot.as_ptr().cast());
    }
    env_ptrs.extend(env.iter().map(|e| e.as_ptr()));
    if spec.set_exec_pid {
        env_ptrs.push(exec_pid_slot.as_ptr().cast());
    }
    env_ptrs.push(std::ptr::null());
    let path_cstring = |p: &Path| cstring(p.as_os_str().as_bytes());
    let tty = |s: &ChildStdio| match s {
        ChildStdio::Tty(p) => path_cstring(p).map(Some),
        _ => Ok(None),
    };
    let groups = match &spec.credentials {
        Ok(c) => c.groups.clone(),
        Err(_) => None,
    };
    Ok(Prepared {
        executable,
        executable_errno,
        argv,
        argv_ptrs,
        _env_storage: env,
        exec_pid_slot,
        listen_pid_slot,
        env_ptrs,
        chroot: spec.chroot.as_deref().map(path_cstring).transpose()?,
        working_directory: spec
            .working_directory
            .as_deref()
            .map(path_cstring)
            .transpose()?,
        tty: [tty(&spec.stdin)?, tty(&spec.stdout)?, tty(&spec.stderr)?],
        groups,
        oom_text: spec.oom_score_adjust.map(|v| v.to_string().into_bytes()),
    })
}

/// Forks and starts the process. Errors here are the parent's own (no memory, no
/// pipe, no fork); anything that fails in the child is an [`ExecFailure`] from
/// [`Spawned::wait_exec`] and the child's exit code.
pub fn spawn(spec: &ProcessSpec) -> io::Result<Spawned> {
    let mut prepared = prepare(spec)?;
    if prepared.argv.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty argv"));
    }
    let (read_end, write_end) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let pass_fds: Vec<RawFd> = spec.pass_fds.clone();
    // SAFETY: the child only calls async-signal-safe functions on memory prepared above.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: we are the child; `child` never returns.
        unsafe { child(spec, &mut prepared, &pass_fds, write_end.as_raw_fd()) }
    }
    drop(write_end);
    drop(prepared);
    Ok(Spawned {
        pid,
        status: read_end,
    })
}

/// Reports a failed step to the parent and exits with its code (async-signal-safe).
fn fail(status_fd: RawFd, exit_code: i32, errno: i32) -> ! {
    let mut buf = [0u8; 8];
    buf[..4].copy_from_slice(&exit_code.to_ne_bytes());
    buf[4..].copy_from_slice(&errno.to_ne_bytes());
    // SAFETY: write() reads `buf.len()` bytes of a local buffer; _exit() ends the process
    // without running anything of the parent's (no atexit handlers, no stdio flush).
    unsafe {
        libc::write(status_fd, buf.as_ptr().cast(), buf.len());
        libc::_exit(exit_code)
    }
}

fn errno() -> i32 {
    io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// Moves `fd` above every descriptor the child is about to fill (0–2 and the passed
/// ones), close-on-exec, so that no `dup2()` overwrites a source still needed.
fn lift(fd: RawFd, floor: RawFd) -> RawFd {
    // SAFETY: F_DUPFD_CLOEXEC takes an int and touches no memory; a bad `fd` is EBADF.
    unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, floor) }
}

/// The child between `fork()` and `execve()`: sets up signals, descriptors, limits,
/// credentials and the working directory, then executes the program or reports why not.
///
/// # Safety
/// Only in the child of a `fork()` of a possibly multi-threaded process: everything in
/// here is async-signal-safe (no allocation, no locks), on memory [`prepare`] made before
/// the fork. Never returns.
unsafe fn child(spec: &ProcessSpec, p: &mut Prepared, pass_fds: &[RawFd], status_fd: RawFd) -> ! {
    // SAFETY: raw libc calls on the NUL-terminated strings and pointer arrays of `p`,
    // which outlive the calls; see the function's safety section.
    unsafe {
        // Signals: nothing blocked, every disposition default (a supervisor may ignore or
        // catch some), SIGPIPE ignored unless IgnoreSIGPIPE=no.
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        if libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut()) < 0 {
            fail(status_fd, code::SIGNAL_MASK, errno());
        }
        for sig in 1..libc::SIGRTMAX() {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
        if spec.ignore_sigpipe {
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        }

        let creds = match &spec.credentials {
            Ok(c) => c,
            Err(e) => fail(status_fd, e.exit_code, libc::ESRCH),
        };

        if spec.new_session && libc::setsid() < 0 {
            fail(status_fd, code::SETSID, errno());
        }

        // Standard streams, then passed descriptors: every source is first lifted above
        // the targets so overlapping numbers cannot clobber each other.
        let floor = 3 + pass_fds.len() as RawFd;
        let streams = [&spec.stdin, &spec.stdout, &spec.stderr];
        let step = [code::STDIN, code::STDOUT, code::STDERR];
        let mut lifted_std = [-1 as RawFd; 3];
        for (i, s) in streams.iter().enumerate() {
            if let ChildStdio::Fd(fd) = s {
                lifted_std[i] = lift(*fd, floor);
                if lifted_std[i] < 0 {
                    fail(status_fd, step[i], errno());
                }
            }
        }
        let mut lifted_pass = [-1 as RawFd; 64];
        if pass_fds.len() > lifted_pass.len() {
            fail(status_fd, code::FDS, libc::EMFILE);
        }
        for (i, fd) in pass_fds.iter().enumerate() {
            lifted_pass[i] = lift(*fd, floor);
            if lifted_pass[i] < 0 {
                fail(status_fd, code::FDS, errno());
            }
        }
        let status_fd = {
            let moved = lift(status_fd, floor);
            if moved < 0 {
                fail(status_fd, code::FDS, errno());
            }
            moved
        };
        for (target, s) in streams.iter().enumerate() {
            let target = target as RawFd;
            let source = match s {
                ChildStdio::Inherit => continue,
                ChildStdio::Null => {
                    libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_NOCTTY)
                }
                ChildStdio::Fd(_) => lifted_std[target as usize],
                ChildStdio::Tty(_) => match &p.tty[target as usize] {
                    Some(path) => libc::open(path.as_ptr(), libc::O_RDWR),
                    None => -1,
                },
                ChildStdio::SameAs(other) => *other,
            };
            if source < 0 || libc::dup2(source, target) < 0 {
                fail(status_fd, step[target as usize], errno());
            }
        }
        for (i, fd) in lifted_pass[..pass_fds.len()].iter().enumerate() {
            if libc::dup2(*fd, 3 + i as RawFd) < 0 {
                fail(status_fd, code::FDS, errno());
            }
        }
        // Everything else the supervisor has open must not reach the service.
        let first_closed = floor as libc::c_uint;
        if libc::syscall(
            libc::SYS_close_range,
            first_closed,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        ) < 0
        {
            for fd in floor..4096 {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                if flags >= 0 {
                    libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
                }
            }
        }

        if let Some(text) = &p.oom_text {
            if let Err(e) = super::sched::apply_oom_score_adjust(text) {
                fail(status_fd, code::OOM_ADJUST, e as i32);
            }
        }
        if let Some(nice) = spec.nice {
            if libc::setpriority(libc::PRIO_PROCESS, 0, nice) < 0 {
                fail(status_fd, code::NICE, errno());
            }
        }
        if let Some(mask) = &spec.cpu_affinity {
            if let Err(e) = crate::sys::sched_setaffinity(mask) {
                fail(status_fd, code::CPUAFFINITY, e as i32);
            }
        }
        if let Some(value) = spec.io_priority {
            if let Err(e) = crate::sys::ioprio_set(value) {
                fail(status_fd, code::IOPRIO, e as i32);
            }
        }
        for limit in &spec.limits {
            if let Err(err) = limit.apply_closest() {
                fail(status_fd, code::LIMITS, err);
            }
        }
        libc::umask(spec.umask as libc::mode_t);

        if let Some(root) = &p.chroot {
            if libc::chroot(root.as_ptr()) < 0 || libc::chdir(c"/".as_ptr()) < 0 {
                fail(status_fd, code::CHROOT, errno());
            }
        }
        if let Some(gid) = creds.gid {
            if libc::setresgid(gid, gid, gid) < 0 {
                fail(status_fd, code::GROUP, errno());
            }
        }
        if let Some(groups) = &p.groups {
            if libc::setgroups(groups.len(), groups.as_ptr()) < 0 {
                fail(status_fd, code::GROUP, errno());
            }
        }
        if let Some(privileges) = &spec.privileges {
            if let Err(e) = privileges.before_uid_change() {
                fail(status_fd, code::CAPABILITIES, e as i32);
            }
        }
        if let Some(uid) = creds.uid() {
            if let Some(Err(e)) = spec.privileges.as_ref().map(|pr| pr.keep_caps_for(uid)) {
                fail(status_fd, code::USER, e as i32);
            }
            if libc::setresuid(uid, uid, uid) < 0 {
                fail(status_fd, code::USER, errno());
            }
            if let Some(Err(e)) = spec.privileges.as_ref().map(Privileges::after_uid_change) {
                fail(status_fd, code::CAPABILITIES, e as i32);
            }
        }
        // After the user change, as systemd: the directory may only be reachable by the user.
        let wd = p
            .working_directory
            .as_ref()
            .map(|c| c.as_ptr())
            .unwrap_or(c"/".as_ptr());
        if libc::chdir(wd) < 0 && !spec.working_directory_optional {
            fail(status_fd, code::CHDIR, errno());
        }
        if let Some(Err((exit, e))) = spec.privileges.as_ref().map(Privileges::apply_secure_bits) {
            fail(status_fd, exit, e as i32);
        }

        if !p.exec_pid_slot.is_empty() {
            write_decimal(
                &mut p.exec_pid_slot[EXEC_PID_PREFIX.len()..],
                libc::getpid() as u64,
            );
        }
        if !p.listen_pid_slot.is_empty() {
            write_decimal(
                &mut p.listen_pid_slot[LISTEN_PID_PREFIX.len()..],
                libc::getpid() as u64,
            );
        }
        let Some(executable) = &p.executable else {
            fail(status_fd, code::EXEC, p.executable_errno)
        };
        libc::execve(
            executable.as_ptr(),
            p.argv_ptrs.as_ptr(),
            p.env_ptrs.as_ptr(),
        );
        fail(status_fd, code::EXEC, errno())
    }
}

/// Writes `n` and a NUL into `buf` without allocating.
fn write_decimal(buf: &mut [u8], mut n: u64) {
    let mut digits = [0u8; 20];
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for i in 0..len {
        buf[i] = digits[len - 1 - i];
    }
    buf[len] = 0;
}

/// How a process ended, as `waitid()` reports it and systemd shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// `code=exited, status=N`.
    Exited(i32),
    /// `code=killed, signal=SIG`.
    Killed(i32),
    /// `code=dumped, signal=SIG`.
    Dumped(i32),
}

impl ExitStatus {
    /// From a `waitpid()` status word.
    pub fn from_wait_status(status: i32) -> Self {
        if libc::WIFEXITED(status) {
            ExitStatus::Exited(libc::WEXITSTATUS(status))
        } else if libc::WCOREDUMP(status) {
            ExitStatus::Dumped(libc::WTERMSIG(status))
        } else {
            ExitStatus::Killed(libc::WTERMSIG(status))
        }
    }

    /// `$EXIT_CODE` / `code=` (`exited`, `killed`, `dumped`).
    pub fn code_name(self) -> &'static str {
        match self {
            ExitStatus::Exited(_) => "exited",
            ExitStatus::Killed(_) => "killed",
            ExitStatus::Dumped(_) => "dumped",
        }
    }

    /// `$EXIT_STATUS`: the number, or the signal name (`TERM`).
    pub fn status_value(self) -> String {
        match self {
            ExitStatus::Exited(c) => c.to_string(),
            ExitStatus::Killed(s) | ExitStatus::Dumped(s) => super::exit_status::signal_name(s),
        }
    }

    /// `status=203/EXEC` or `signal=TERM`, as in `systemctl status`.
    pub fn describe(self) -> String {
        match self {
            ExitStatus::Exited(c) => {
                format!("status={}", super::exit_status::format_exit_status(c))
            }
            ExitStatus::Killed(s) | ExitStatus::Dumped(s) => {
                format!("signal={}", super::exit_status::signal_name(s))
            }
        }
    }
}

/// Waits for a child (retrying on EINTR) and returns how it ended.
pub fn wait_for(pid: i32) -> io::Result<ExitStatus> {
    loop {
        match crate::sys::waitpid(pid, 0) {
            Ok(Some((r, status))) if r == pid => return Ok(ExitStatus::from_wait_status(status)),
            Err(e) if e.raw_os_error() != Some(libc::EINTR) => return Err(e),
            _ => {}
        }
    }
}

#[cfg(test)]
#[path = "spawn_tests.rs"]
mod tests;
