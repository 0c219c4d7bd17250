//! The client side of the stream protocol: `sd_journal_stream_fd()` of systemd 252, byte
//! for byte — connect to `/run/systemd/journal/stdout`, `shutdown(SHUT_RD)`, raise the send
//! buffer to 8 MiB, and send the seven header lines (identifier, an empty unit id, the
//! priority, the level-prefix flag, and 0 for forwarding to syslog, kmsg and the console).
//! What is written to the returned socket afterwards is the stream's output.

use crate::journal::server::STDOUT_SOCKET;
use nix::sys::socket::{setsockopt, sockopt};
use std::io::{self, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::path::Path;

/// `SNDBUF_SIZE` of journal-send.c.
const SNDBUF_SIZE: usize = 8 * 1024 * 1024;

/// The header `sd_journal_stream_fd(identifier, priority, level_prefix)` sends.
pub fn header(identifier: &str, priority: u8, level_prefix: bool) -> Vec<u8> {
    format!(
        "{identifier}\n\n{}\n{}\n0\n0\n0\n",
        priority.min(7),
        u8::from(level_prefix)
    )
    .into_bytes()
}

/// `sd_journal_stream_fd()` against `socket` (the host path of [`STDOUT_SOCKET`]).
pub fn stream_fd_at(
    socket: &Path,
    identifier: &str,
    priority: u8,
    level_prefix: bool,
) -> io::Result<UnixStream> {
    let mut stream = UnixStream::connect(socket)?;
    stream.shutdown(Shutdown::Read)?;
    // fd_inc_sndbuf(): best effort, as in libsystemd (SO_SNDBUFFORCE needs privilege).
    if setsockopt(&stream, sockopt::SndBuf, &SNDBUF_SIZE).is_err() {
        let _ = setsockopt(&stream, sockopt::SndBufForce, &SNDBUF_SIZE);
    }
    stream.write_all(&header(identifier, priority, level_prefix))?;
    Ok(stream)
}

/// `sd_journal_stream_fd()`.
pub fn stream_fd(identifier: &str, priority: u8, level_prefix: bool) -> io::Result<UnixStream> {
    stream_fd_at(Path::new(STDOUT_SOCKET), identifier, priority, level_prefix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::server::stream::StreamParser;
    use std::io::Read;
    use std::os::unix::net::UnixListener;

    #[test]
    fn header_is_what_journald_parses() {
        assert_eq!(header("", 6, true), b"\n\n6\n1\n0\n0\n0\n");
        let mut p = StreamParser::new(1024);
        let mut got = Vec::new();
        let mut h = header("cat-id", 3, false);
        h.extend_from_slice(b"<1>not a prefix\n");
        p.feed(&h, &mut |hd, l, m| {
            got.push((hd.identifier.clone(), l, m.to_vec()))
        })
        .unwrap();
        assert_eq!(got, [("cat-id".into(), 3, b"<1>not a prefix".to_vec())]);
    }

    #[test]
    fn connects_and_closes_its_read_side() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stdout");
        let err = stream_fd_at(&path, "x", 6, true).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        let listener = UnixListener::bind(&path).unwrap();
        let mut client = stream_fd_at(&path, "x", 5, true).unwrap();
        client.write_all(b"line\n").unwrap();
        drop(client);
        let (mut server, _) = listener.accept().unwrap();
        let mut text = String::new();
        server.read_to_string(&mut text).unwrap();
        assert_eq!(text, "x\n\n5\n1\n0\n0\n0\nline\n");
    }
}
