//! Accept=yes: one instance of the template per connection, named as 252 names them, the
//! connection on stdin/stdout (or fd 3), REMOTE_ADDR/REMOTE_PORT, MaxConnections=.

use super::{free_port, python_service, read_all, tcp};
use crate::lifecycle::{eventually, Lab};
use std::io::{Read, Write};
use std::time::Duration;

/// An echo service on stdin/stdout that first says who it serves.
const ECHO: &str = r#"
import os, sys
print(f"hi {os.environ.get('REMOTE_ADDR')} {os.environ.get('REMOTE_PORT')} {os.environ.get('LISTEN_FDS', '-')}", flush=True)
for line in sys.stdin:
    print("echo " + line.strip(), flush=True)
"#;

fn read_line(stream: &mut std::net::TcpStream) -> String {
    let mut out = Vec::new();
    let mut byte = [0u8; 1];
    while stream.read(&mut byte).unwrap_or(0) == 1 {
        out.push(byte[0]);
        if byte[0] == b'\n' {
            break;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn two_concurrent_clients_are_served_by_two_instances() {
    let lab = Lab::new();
    let port = free_port();
    lab.unit(
        "echo.socket",
        &format!("[Socket]\nListenStream=127.0.0.1:{port}\nAccept=yes\nMaxConnections=2\n"),
    );
    python_service(&lab, "echo@", ECHO, "StandardInput=socket\n");
    assert_eq!(lab.ctl(&["start", "echo.socket"]).code, 0);
    let mut a = tcp(port).unwrap();
    let mut b = tcp(port).unwrap();
    let (a_port, b_port) = (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    );
    assert_eq!(read_line(&mut a), format!("hi 127.0.0.1 {a_port} -\n"));
    assert_eq!(read_line(&mut b), format!("hi 127.0.0.1 {b_port} -\n"));
    let first = format!("echo@0-127.0.0.1:{port}-127.0.0.1:{a_port}.service");
    let second = format!("echo@1-127.0.0.1:{port}-127.0.0.1:{b_port}.service");
    assert_eq!(lab.active(&first), "active");
    assert_eq!(lab.active(&second), "active");
    assert_eq!(lab.prop("echo.socket", "NConnections"), "2");

    // A third client is above MaxConnections=2: refused.
    let c = tcp(port).unwrap();
    assert_eq!(read_all(c), "");
    let status = lab.ctl(&["status", "echo.socket"]).stdout;
    assert!(
        status.contains("   Accepted: 2; Connected: 2; Refused: 1\n"),
        "{status}"
    );
    b.write_all(b"two\n").unwrap();
    a.write_all(b"one\n").unwrap();
    assert_eq!(read_line(&mut a), "echo one\n");
    assert_eq!(read_line(&mut b), "echo two\n");
    drop(a);
    drop(b);
    assert!(
        eventually(Duration::from_secs(10), || lab
            .prop("echo.socket", "NConnections")
            == "0"),
        "{:?}",
        lab.state("echo.socket")
    );
    // Instances that ended well are collected, as 252 unloads them.
    assert!(eventually(Duration::from_secs(5), || !lab
        .state_path(&first)
        .exists()));
    let status = lab.ctl(&["status", "echo.socket"]).stdout;
    assert!(
        status.contains("   Accepted: 2; Connected: 0; Refused: 1\n"),
        "{status}"
    );
}

#[test]
fn without_socket_stdio_the_connection_is_fd_3_named_connection() {
    let lab = Lab::new();
    let port = free_port();
    lab.unit(
        "fd.socket",
        &format!("[Socket]\nListenStream=127.0.0.1:{port}\nAccept=yes\n"),
    );
    python_service(
        &lab,
        "fd@",
        "import os, socket\nassert int(os.environ['LISTEN_PID']) == os.getpid()\nc = socket.socket(fileno=3)\nc.sendall(f\"{os.environ['LISTEN_FDS']} {os.environ['LISTEN_FDNAMES']} {os.environ['REMOTE_ADDR']}\\n\".encode())\n",
        "",
    );
    assert_eq!(lab.ctl(&["start", "fd.socket"]).code, 0);
    assert_eq!(read_all(tcp(port).unwrap()), "1 connection 127.0.0.1\n");
}

#[test]
fn accept_on_a_datagram_socket_is_refused() {
    let lab = Lab::new();
    lab.unit(
        "dg.socket",
        "[Socket]\nListenDatagram=/run/dg.sock\nAccept=yes\n",
    );
    assert_ne!(lab.ctl(&["start", "dg.socket"]).code, 0);
    assert_eq!(
        lab.ctl(&["show", "-p", "LoadState", "dg.socket"]).stdout,
        "LoadState=bad-setting\n"
    );
}
