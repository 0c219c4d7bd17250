//! The init's control socket, `<state dir>/init.ctl`: `halt`, `poweroff`, `reboot` and
//! `exit CODE` sent by `systemctl` from another process (e.g. `docker exec`). One line in,
//! `ok` out.
//!
//! The client only ever talks to an init that is unitbox: it needs a live init record
//! ([`InitRecord::read_live`]) and checks with `SO_PEERCRED` that the process answering on
//! the socket is the recorded one — it never signals a PID 1 it does not know. The server
//! accepts commands from root and from its own uid only.

use super::record::{InitRecord, CONTROL_SOCKET};
use crate::state::StateDir;
use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::time::Duration;

/// How long either side waits for the other's line: both are local and answer at once.
const LINE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Halt,
    Poweroff,
    Reboot,
    /// `systemctl exit CODE`: shut down and exit with CODE.
    Exit(u8),
}

impl Command {
    pub fn encode(self) -> String {
        match self {
            Command::Halt => "halt\n".into(),
            Command::Poweroff => "poweroff\n".into(),
            Command::Reboot => "reboot\n".into(),
            Command::Exit(code) => format!("exit {code}\n"),
        }
    }

    pub fn decode(line: &str) -> Option<Command> {
        let mut words = line.split_whitespace();
        let command = match words.next()? {
            "halt" => Command::Halt,
            "poweroff" => Command::Poweroff,
            "reboot" => Command::Reboot,
            "exit" => Command::Exit(match words.next() {
                Some(code) => code.parse().ok()?,
                None => 0,
            }),
            _ => return None,
        };
        words.next().is_none().then_some(command)
    }

    /// The exit status of the init after this command's shutdown.
    pub fn exit_code(self) -> i32 {
        match self {
            Command::Exit(code) => code as i32,
            Command::Halt | Command::Poweroff | Command::Reboot => 0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// No unitbox init runs for this scope (systemd: "System has not been booted with
    /// systemd as init system (PID 1). Can't operate.").
    #[error("System has not been booted with unitbox as init system. Can't operate.")]
    NoInit,
    #[error("The process answering on {0} is not the unitbox init, refusing.")]
    ForeignPeer(String),
    #[error("Failed to talk to init: {0}")]
    Io(#[from] io::Error),
    #[error("Init refused the request: {0}")]
    Refused(String),
}

pub fn socket_path(dir: &StateDir) -> PathBuf {
    dir.path().join(CONTROL_SOCKET)
}

/// Sends `command` to the init of `dir` and waits for its acknowledgement (the shutdown
/// itself continues after the answer, as `systemctl poweroff` returns before the end).
pub fn send(dir: &StateDir, command: Command) -> Result<(), ControlError> {
    let record = InitRecord::read_live(dir).ok_or(ControlError::NoInit)?;
    let path = socket_path(dir);
    let mut stream = UnixStream::connect(&path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => ControlError::NoInit,
        _ => ControlError::Io(e),
    })?;
    if peer_pid(&stream)? != record.pid {
        return Err(ControlError::ForeignPeer(path.display().to_string()));
    }
    stream.set_read_timeout(Some(LINE_TIMEOUT))?;
    stream.write_all(command.encode().as_bytes())?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line)?;
    match line.trim_end() {
        "ok" => Ok(()),
        "" => Err(ControlError::Refused("connection closed".into())),
        other => Err(ControlError::Refused(other.to_string())),
    }
}

fn peer_credentials(stream: &UnixStream) -> io::Result<nix::sys::socket::UnixCredentials> {
    Ok(nix::sys::socket::getsockopt(
        stream,
        nix::sys::socket::sockopt::PeerCredentials,
    )?)
}

fn peer_pid(stream: &UnixStream) -> io::Result<u32> {
    Ok(peer_credentials(stream)?.pid() as u32)
}

/// The init's end: a non-blocking listener polled by the event loop.
pub struct ControlServer {
    listener: UnixListener,
    path: PathBuf,
}

impl ControlServer {
    pub fn bind(dir: &StateDir) -> io::Result<ControlServer> {
        let path = socket_path(dir);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let listener = UnixListener::bind(&path)?;
        listener.set_nonblocking(true)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        Ok(ControlServer { listener, path })
    }

    pub fn fd(&self) -> i32 {
        self.listener.as_raw_fd()
    }

    /// Accepts every pending connection and returns the commands they carried. A client
    /// that is not allowed, or sends garbage, gets an error line and is dropped.
    pub fn accept_all(&self) -> Vec<Command> {
        let mut commands = Vec::new();
        loop {
            let stream = match self.listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return commands, // WouldBlock: nothing left.
            };
            if let Some(command) = serve(stream) {
                commands.push(command);
            }
        }
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn serve(stream: UnixStream) -> Option<Command> {
    let me = nix::unistd::geteuid().as_raw();
    let allowed = peer_credentials(&stream).is_ok_and(|c| c.uid() == 0 || c.uid() == me);
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(LINE_TIMEOUT));
    let _ = stream.set_write_timeout(Some(LINE_TIMEOUT));
    let mut writer = stream.try_clone().ok()?;
    if !allowed {
        let _ = writer.write_all(b"access denied\n");
        return None;
    }
    let mut line = String::new();
    let _ = BufReader::new(stream).take_line(&mut line);
    match Command::decode(&line) {
        Some(command) => {
            let _ = writer.write_all(b"ok\n");
            Some(command)
        }
        None => {
            let _ = writer.write_all(b"unknown command\n");
            None
        }
    }
}

/// One line, at most a few hundred bytes: a client cannot make the init buffer more.
trait TakeLine {
    fn take_line(&mut self, line: &mut String) -> io::Result<usize>;
}

impl<R: io::Read> TakeLine for BufReader<R> {
    fn take_line(&mut self, line: &mut String) -> io::Result<usize> {
        io::Read::take(self, 256).read_line(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_round_trip() {
        for c in [
            Command::Halt,
            Command::Poweroff,
            Command::Reboot,
            Command::Exit(0),
            Command::Exit(42),
        ] {
            assert_eq!(Command::decode(&c.encode()), Some(c));
        }
        assert_eq!(Command::decode("exit"), Some(Command::Exit(0)));
        assert_eq!(Command::decode("exit 300"), None);
        assert_eq!(Command::decode("halt now"), None);
        assert_eq!(Command::decode("kill 1"), None);
        assert_eq!(Command::Exit(7).exit_code(), 7);
        assert_eq!(Command::Reboot.exit_code(), 0);
    }

    fn state_dir(tmp: &tempfile::TempDir) -> StateDir {
        StateDir::open(
            tmp.path().to_path_buf(),
            crate::state::boot::BootRecord::current(),
        )
        .unwrap()
    }

    #[test]
    fn send_needs_a_live_record_of_the_answering_process() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = state_dir(&tmp);
        assert!(matches!(
            send(&dir, Command::Halt),
            Err(ControlError::NoInit)
        ));
        let server = ControlServer::bind(&dir).unwrap();
        // A record naming another live process (our parent): the peer check refuses.
        let parent = std::os::unix::process::parent_id();
        let foreign = InitRecord {
            pid: parent,
            start_time: None,
            phase: super::super::record::Phase::Running,
            console: false,
        };
        foreign.write(&dir).unwrap();
        assert!(matches!(
            send(&dir, Command::Halt),
            Err(ControlError::ForeignPeer(_))
        ));
        assert!(server.accept_all().is_empty());
    }

    #[test]
    fn server_accepts_commands_from_its_own_uid() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = state_dir(&tmp);
        let server = ControlServer::bind(&dir).unwrap();
        InitRecord::of_self(super::super::record::Phase::Running, false)
            .write(&dir)
            .unwrap();
        let path = socket_path(&dir);
        let client = std::thread::spawn(move || {
            let mut s = UnixStream::connect(&path).unwrap();
            s.write_all(b"exit 3\n").unwrap();
            let mut line = String::new();
            BufReader::new(s).read_line(&mut line).unwrap();
            line
        });
        let mut got = Vec::new();
        while got.is_empty() {
            // SAFETY: the server's descriptor stays open for the poll.
            let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(server.fd()) };
            let mut fds = [nix::poll::PollFd::new(fd, nix::poll::PollFlags::POLLIN)];
            let _ = nix::poll::poll(&mut fds, 5000u16);
            got = server.accept_all();
        }
        assert_eq!(got, vec![Command::Exit(3)]);
        assert_eq!(client.join().unwrap(), "ok\n");
    }
}
