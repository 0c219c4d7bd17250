//! systemd-notify against a notify socket of our own: the datagram's text, its
//! credentials, the barrier, and the errors without a socket.

use crate::support::{applet, run_cmd};
use nix::sys::socket::{
    bind, recvmsg, setsockopt, socket, sockopt, AddressFamily, ControlMessageOwned, MsgFlags,
    SockFlag, SockType, UnixAddr, UnixCredentials,
};
use std::io::IoSliceMut;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::process::{Command, Stdio};
use std::time::Duration;

struct Datagram {
    text: String,
    credentials: Option<UnixCredentials>,
    fds: Vec<OwnedFd>,
}

fn notify_socket(path: &std::path::Path) -> OwnedFd {
    let fd = socket(
        AddressFamily::Unix,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .unwrap();
    setsockopt(&fd, sockopt::PassCred, &true).unwrap();
    // A receive timeout, so a broken sender fails the test instead of hanging it.
    let timeout = nix::sys::time::TimeVal::new(10, 0);
    setsockopt(&fd, sockopt::ReceiveTimeout, &timeout).unwrap();
    bind(fd.as_raw_fd(), &UnixAddr::new(path).unwrap()).unwrap();
    fd
}

fn receive(fd: &OwnedFd) -> Datagram {
    let mut buf = vec![0u8; 4096];
    let mut iov = [IoSliceMut::new(&mut buf)];
    let mut space = nix::cmsg_space!(UnixCredentials, [RawFd; 4]);
    let msg = recvmsg::<UnixAddr>(
        fd.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )
    .expect("a datagram within the timeout");
    let mut credentials = None;
    let mut fds = Vec::new();
    for cmsg in msg.cmsgs().unwrap() {
        match cmsg {
            ControlMessageOwned::ScmCredentials(c) => credentials = Some(c),
            // SAFETY: the kernel just installed these descriptors for us.
            ControlMessageOwned::ScmRights(list) => fds.extend(
                list.into_iter()
                    .map(|raw| unsafe { OwnedFd::from_raw_fd(raw) }),
            ),
            _ => {}
        }
    }
    let len = msg.bytes;
    Datagram {
        text: String::from_utf8_lossy(&buf[..len]).into_owned(),
        credentials,
        fds,
    }
}

#[test]
fn sends_ready_and_status_with_credentials_then_waits_for_the_barrier() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let socket = notify_socket(&path);
    let mut child = Command::new(applet("systemd-notify"))
        .args(["--ready", "--status=hi", "EXTRA=1"])
        .env("NOTIFY_SOCKET", &path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let first = receive(&socket);
    assert_eq!(first.text, "READY=1\nSTATUS=hi\nEXTRA=1");
    let creds = first.credentials.expect("SCM_CREDENTIALS attached");
    // systemd-notify speaks for its parent (this test) when allowed to, else for itself.
    let candidates = [child.id() as i32, std::process::id() as i32];
    assert!(candidates.contains(&creds.pid()), "pid {}", creds.pid());
    assert_eq!(creds.uid(), nix::unistd::getuid().as_raw());

    // Without --no-block it then waits until we have handled the barrier.
    let barrier = receive(&socket);
    assert_eq!(barrier.text, "BARRIER=1");
    assert_eq!(barrier.fds.len(), 1, "the barrier carries a pipe");
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        child.try_wait().unwrap().is_none(),
        "systemd-notify must wait for the barrier"
    );
    drop(barrier);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn no_block_sends_one_datagram_and_reloading_carries_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.sock");
    let socket = notify_socket(&path);
    let run = run_cmd(
        Command::new(applet("systemd-notify"))
            .args(["--no-block", "--reloading", "--pid=4242"])
            .env("NOTIFY_SOCKET", &path),
    );
    assert_eq!(run.code, 0, "{run:?}");
    let got = receive(&socket);
    let lines: Vec<&str> = got.text.lines().collect();
    assert_eq!(lines.len(), 3, "{}", got.text);
    assert_eq!(lines[0], "RELOADING=1");
    let monotonic: u64 = lines[1]
        .strip_prefix("MONOTONIC_USEC=")
        .and_then(|v| v.parse().ok())
        .expect("MONOTONIC_USEC=<number>");
    assert!(monotonic > 0);
    assert_eq!(lines[2], "MAINPID=4242");
    assert!(got.credentials.is_some());
}

#[test]
fn errors_without_a_usable_socket() {
    let unset = run_cmd(
        Command::new(applet("systemd-notify"))
            .arg("--ready")
            .env_remove("NOTIFY_SOCKET"),
    );
    assert_eq!(
        (unset.code, unset.stderr.as_str()),
        (
            1,
            "No status data could be sent: $NOTIFY_SOCKET was not set\n"
        )
    );
    let missing = run_cmd(
        Command::new(applet("systemd-notify"))
            .arg("--ready")
            .env("NOTIFY_SOCKET", "/nonexistent/notify.sock"),
    );
    assert_eq!(
        (missing.code, missing.stderr.as_str()),
        (
            1,
            "Failed to notify init system: No such file or directory\n"
        )
    );
    let relative = run_cmd(
        Command::new(applet("systemd-notify"))
            .arg("--ready")
            .env("NOTIFY_SOCKET", "relative.sock"),
    );
    assert_eq!(
        relative.stderr,
        "Failed to notify init system: Invalid argument\n"
    );
    let nothing = run_cmd(&mut Command::new(applet("systemd-notify")));
    assert_eq!(nothing.code, 1);
    assert!(nothing.stdout.contains("Notify the init system"));
    // This test process is not unitbox, so neither is PID 1 of a test run.
    let booted = run_cmd(Command::new(applet("systemd-notify")).arg("--booted"));
    assert_eq!((booted.code, booted.stderr.as_str()), (1, ""));
}
