//! The unit's control socket: a unix stream listener; each client sends one request line
//! and gets one answer line (see [`super::protocol`]). Clients are served concurrently:
//! nothing here blocks, requests are queued for the supervisor's loop.

use crate::state::SocketAddress;
use crate::supervisor::protocol::{Reply, Request};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};

/// A request line longer than this is nonsense.
const LINE_MAX: usize = 4096;

struct Client {
    id: u64,
    stream: UnixStream,
    buf: Vec<u8>,
    /// The request has been read; the client only waits for its answer now.
    answered_later: bool,
}

pub struct ControlServer {
    listener: UnixListener,
    clients: Vec<Client>,
    next_id: u64,
    /// Who may talk to us: root, ourselves, the scope's user.
    allowed_uids: Vec<u32>,
}

impl ControlServer {
    /// Binds the socket, mode 0600, owned by `owner` (uid, gid) when we may hand it over.
    pub fn bind(address: &SocketAddress, owner: Option<(u32, u32)>) -> std::io::Result<Self> {
        address.remove_stale()?;
        // Created closed to others from the start (no window with a wider mode).
        use nix::sys::stat::{umask, Mode};
        let old = umask(Mode::from_bits_truncate(0o177));
        let bound = UnixListener::bind_addr(&address.to_socket_addr()?);
        umask(old);
        let listener = bound?;
        listener.set_nonblocking(true)?;
        let me = nix::unistd::geteuid().as_raw();
        let mut allowed_uids = vec![0, me];
        if let (SocketAddress::Path(p), Some((uid, gid))) = (address, owner) {
            if me == 0 && uid != 0 {
                std::os::unix::fs::chown(p, Some(uid), Some(gid))?;
            }
            allowed_uids.push(uid);
        }
        Ok(ControlServer {
            listener,
            clients: Vec::new(),
            next_id: 1,
            allowed_uids,
        })
    }

    /// The descriptors to poll: the listener first, then the clients still sending.
    pub fn fds(&self) -> Vec<RawFd> {
        std::iter::once(self.listener.as_raw_fd())
            .chain(
                self.clients
                    .iter()
                    .filter(|c| !c.answered_later)
                    .map(|c| c.stream.as_raw_fd()),
            )
            .collect()
    }

    pub fn listener_fd(&self) -> RawFd {
        self.listener.as_raw_fd()
    }

    /// Accepts every waiting connection.
    pub fn accept(&mut self) {
        while let Ok((stream, _)) = self.listener.accept() {
            let peer_ok =
                nix::sys::socket::getsockopt(&stream, nix::sys::socket::sockopt::PeerCredentials)
                    .map(|c| self.allowed_uids.contains(&c.uid()))
                    .unwrap_or(false);
            if !peer_ok {
                let mut s = stream;
                let _ = s.write_all(
                    Reply::Failed {
                        result: "access-denied".into(),
                    }
                    .encode()
                    .as_bytes(),
                );
                continue;
            }
            if stream.set_nonblocking(true).is_err() {
                continue;
            }
            let id = self.next_id;
            self.next_id += 1;
            self.clients.push(Client {
                id,
                stream,
                buf: Vec::new(),
                answered_later: false,
            });
        }
    }

    /// Reads from the client on `fd`; returns its request once a whole line is there.
    /// A malformed request is answered right away.
    pub fn read(&mut self, fd: RawFd) -> Option<(u64, Request)> {
        let index = self
            .clients
            .iter()
            .position(|c| c.stream.as_raw_fd() == fd)?;
        let mut chunk = [0u8; 512];
        let client = &mut self.clients[index];
        let eof = loop {
            match client.stream.read(&mut chunk) {
                Ok(0) => break true,
                Ok(n) => client.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break false,
                Err(_) => break true,
            }
            if client.buf.len() > LINE_MAX {
                break true;
            }
        };
        let newline = client.buf.iter().position(|&b| b == b'\n');
        let line = match (newline, eof) {
            (Some(i), _) => String::from_utf8_lossy(&client.buf[..i]).into_owned(),
            // A request without its newline at EOF still counts.
            (None, true) if !client.buf.is_empty() && client.buf.len() <= LINE_MAX => {
                String::from_utf8_lossy(&client.buf).into_owned()
            }
            (None, true) => {
                self.clients.remove(index);
                return None;
            }
            (None, false) => return None,
        };
        let id = client.id;
        match Request::decode(&line) {
            Some(request) => {
                client.answered_later = true;
                Some((id, request))
            }
            None => {
                self.answer(
                    id,
                    &Reply::Failed {
                        result: "invalid-request".into(),
                    },
                );
                None
            }
        }
    }

    /// The supervisor is leaving: answers every client still connected or waiting in the
    /// listen backlog, so that none of them sees a reset. `stop` gets `ok` (the unit is at
    /// rest now), anything else `failed not-active`. Call it after the socket's path is
    /// gone, so that nobody new can connect meanwhile.
    pub fn drain(&mut self, patience: std::time::Duration) {
        self.accept();
        let deadline = std::time::Instant::now() + patience;
        for mut client in std::mem::take(&mut self.clients) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let _ = client.stream.set_nonblocking(false);
            let _ = client
                .stream
                .set_read_timeout(Some(left.max(std::time::Duration::from_millis(1))));
            let mut chunk = [0u8; 512];
            while !client.buf.contains(&b'\n') && client.buf.len() <= LINE_MAX {
                match client.stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => client.buf.extend_from_slice(&chunk[..n]),
                }
            }
            let line = String::from_utf8_lossy(&client.buf).into_owned();
            let reply = match Request::decode(line.lines().next().unwrap_or("")) {
                Some(Request::Stop) => Reply::Ok,
                _ => Reply::Failed {
                    result: "not-active".into(),
                },
            };
            let _ = client
                .stream
                .set_write_timeout(Some(std::time::Duration::from_secs(1)));
            let _ = client.stream.write_all(reply.encode().as_bytes());
        }
    }

    /// Sends `reply` with `fds` attached (`SCM_RIGHTS`) and closes the connection.
    pub fn answer_with_fds(&mut self, id: u64, reply: &Reply, fds: &[RawFd]) {
        if let Some(index) = self.clients.iter().position(|c| c.id == id) {
            let client = self.clients.remove(index);
            let _ = client.stream.set_nonblocking(false);
            let _ = client
                .stream
                .set_write_timeout(Some(std::time::Duration::from_secs(1)));
            let text = reply.encode();
            let iov = [std::io::IoSlice::new(text.as_bytes())];
            let cmsg = [nix::sys::socket::ControlMessage::ScmRights(fds)];
            let cmsgs: &[nix::sys::socket::ControlMessage] =
                if fds.is_empty() { &[] } else { &cmsg };
            let _ = nix::sys::socket::sendmsg::<()>(
                client.stream.as_raw_fd(),
                &iov,
                cmsgs,
                nix::sys::socket::MsgFlags::MSG_NOSIGNAL,
                None,
            );
        }
    }

    /// Sends the answer and closes the connection (a client that left is fine).
    pub fn answer(&mut self, id: u64, reply: &Reply) {
        if let Some(index) = self.clients.iter().position(|c| c.id == id) {
            let mut client = self.clients.remove(index);
            let _ = client.stream.set_nonblocking(false);
            let _ = client
                .stream
                .set_write_timeout(Some(std::time::Duration::from_secs(1)));
            let _ = client.stream.write_all(reply.encode().as_bytes());
        }
    }
}
