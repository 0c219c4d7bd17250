//! Sockets: real `.socket` units in `--root` trees whose supervisors hold the listening
//! descriptors and start real services (small Python 3 programs reading fd 3) on the first
//! connection, datagram or FIFO write; clients are real sockets of the test.

mod accept;
mod activation;
mod pid1;
mod views;

use crate::lifecycle::Lab;
use std::io::Read;
use std::time::Duration;

/// A TCP port nobody listens on right now (the kernel's choice, released at once).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A Python service that checks sd_listen_fds(3)'s variables, then answers every
/// connection on its first descriptor with `hello PID LISTEN_FDS LISTEN_FDNAMES`.
pub const STREAM_SERVER: &str = r#"
import os, socket
assert int(os.environ["LISTEN_PID"]) == os.getpid(), "LISTEN_PID"
n = int(os.environ["LISTEN_FDS"])
names = os.environ.get("LISTEN_FDNAMES", "")
s = socket.socket(fileno=3)
while True:
    c, _ = s.accept()
    c.sendall(f"hello {os.getpid()} {n} {names}\n".encode())
    c.close()
"#;

/// Writes `out/NAME.py` and `NAME.service` running it.
pub fn python_service(lab: &Lab, name: &str, script: &str, extra: &str) {
    let path = lab.out(&format!("{name}.py"));
    std::fs::write(&path, script).unwrap();
    lab.unit(
        &format!("{name}.service"),
        &format!(
            "[Service]\nExecStart=/usr/bin/python3 {}\n{extra}",
            path.display()
        ),
    );
}

/// Reads what the server says until it closes the connection.
pub fn read_all(mut stream: impl Read) -> String {
    let mut s = String::new();
    let _ = stream.read_to_string(&mut s);
    s
}

pub fn tcp(port: u16) -> std::io::Result<std::net::TcpStream> {
    let s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    Ok(s)
}
