//! Accept=no activation: the first connection starts the service, which gets the listening
//! descriptors as sd_listen_fds(3) says; they survive service restarts; a stopped socket
//! closes them; unix sockets get their mode, owner, symlinks; datagrams and FIFOs.

use super::{free_port, python_service, read_all, tcp, STREAM_SERVER};
use crate::lifecycle::{eventually, Lab};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::time::Duration;

#[test]
fn first_connection_starts_the_service_which_keeps_answering_after_restart() {
    let lab = Lab::new();
    let port = free_port();
    lab.unit(
        "web.socket",
        &format!("[Socket]\nListenStream=127.0.0.1:{port}\nListenStream=/run/web.sock\n"),
    );
    python_service(&lab, "web", STREAM_SERVER, "");
    let r = lab.ctl(&["start", "web.socket"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(lab.prop("web.socket", "SubState"), "listening");
    assert_eq!(
        lab.active("web.service"),
        "inactive",
        "started without traffic"
    );

    let first = read_all(tcp(port).unwrap());
    let words: Vec<&str> = first.split_whitespace().collect();
    assert_eq!(words.len(), 4, "{first:?}");
    assert_eq!(words[2], "2");
    assert_eq!(words[3], "web.socket:web.socket");
    assert_eq!(lab.active("web.service"), "active");
    assert!(eventually(Duration::from_secs(5), || lab
        .prop("web.socket", "SubState")
        == "running"));

    let r = lab.ctl(&["restart", "web.service"]);
    assert_eq!(r.code, 0, "{r:?}");
    let second = read_all(tcp(port).unwrap());
    assert!(second.starts_with("hello "), "{second:?}");
    assert_ne!(first, second, "a new process answers after the restart");

    // A stopped service leaves the socket listening; the next client starts it again.
    lab.ctl(&["stop", "web.service"]);
    assert!(eventually(Duration::from_secs(5), || lab
        .prop("web.socket", "SubState")
        == "listening"));
    assert!(read_all(tcp(port).unwrap()).starts_with("hello "));

    // A stopped socket closes its descriptors (the service has its own copies).
    lab.ctl(&["stop", "web.service", "web.socket"]);
    assert_eq!(lab.active("web.socket"), "inactive");
    assert!(tcp(port).is_err(), "still listening after stop");
    assert!(UnixStream::connect(lab.tree.host("/run/web.sock")).is_err());
    assert!(
        lab.tree.host("/run/web.sock").exists(),
        "RemoveOnStop=no keeps the file"
    );
}

#[test]
fn unix_socket_mode_owner_directory_symlinks_and_remove_on_stop() {
    let lab = Lab::new();
    lab.unit(
        "priv.socket",
        "[Socket]\nListenStream=/run/priv/dir/priv.sock\nSocketMode=0600\nDirectoryMode=0750\nSocketUser=nobody\nSocketGroup=nogroup\nSymlinks=/run/priv-link.sock\nRemoveOnStop=yes\nFileDescriptorName=ctl\nBacklog=7\n",
    );
    lab.tree
        .write("/etc/group", "root:x:0:\nnogroup:x:65534:\n");
    python_service(&lab, "priv", STREAM_SERVER, "");
    let r = lab.ctl(&["start", "priv.socket"]);
    assert_eq!(r.code, 0, "{r:?}");
    let sock = lab.tree.host("/run/priv/dir/priv.sock");
    let meta = std::fs::metadata(&sock).unwrap();
    assert_eq!(meta.permissions().mode() & 0o7777, 0o600);
    assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
    let dir = std::fs::metadata(lab.tree.host("/run/priv/dir")).unwrap();
    assert_eq!(dir.permissions().mode() & 0o7777, 0o750);
    assert_eq!(
        std::fs::read_link(lab.tree.host("/run/priv-link.sock")).unwrap(),
        std::path::Path::new("/run/priv/dir/priv.sock")
    );
    let answer = read_all(UnixStream::connect(&sock).unwrap());
    assert!(answer.ends_with(" 1 ctl\n"), "{answer:?}");
    lab.ctl(&["stop", "priv.service", "priv.socket"]);
    assert!(!sock.exists(), "RemoveOnStop=yes removes the socket");
    assert!(std::fs::symlink_metadata(lab.tree.host("/run/priv-link.sock")).is_err());
}

#[test]
fn a_datagram_starts_its_service_which_reads_it_from_fd_3() {
    let lab = Lab::new();
    lab.unit("dg.socket", "[Socket]\nListenDatagram=/run/dg.sock\n");
    let out = lab.out("dg.txt");
    python_service(
        &lab,
        "dg",
        &format!(
            "import socket\ns = socket.socket(fileno=3)\nwhile True:\n    open({:?}, 'ab').write(s.recv(100) + b'\\n')\n",
            out.display().to_string()
        ),
        "",
    );
    assert_eq!(lab.ctl(&["start", "dg.socket"]).code, 0);
    let client = UnixDatagram::unbound().unwrap();
    client
        .send_to(b"one", lab.tree.host("/run/dg.sock"))
        .unwrap();
    assert!(
        eventually(Duration::from_secs(10), || lab.read_out("dg.txt")
            == "one\n"),
        "{:?}",
        lab.read_out("dg.txt")
    );
    client
        .send_to(b"two", lab.tree.host("/run/dg.sock"))
        .unwrap();
    assert!(eventually(Duration::from_secs(10), || lab
        .read_out("dg.txt")
        == "one\ntwo\n"));
    assert_eq!(lab.active("dg.service"), "active");
}

#[test]
fn a_fifo_write_starts_the_service() {
    let lab = Lab::new();
    lab.unit(
        "fifo.socket",
        "[Socket]\nListenFIFO=/run/in.fifo\nSocketMode=0620\n",
    );
    let out = lab.out("fifo.txt");
    python_service(
        &lab,
        "fifo",
        &format!(
            "import os\nwhile True:\n    open({:?}, 'ab').write(os.read(3, 100))\n",
            out.display().to_string()
        ),
        "",
    );
    assert_eq!(lab.ctl(&["start", "fifo.socket"]).code, 0);
    let fifo = lab.tree.host("/run/in.fifo");
    let meta = std::fs::metadata(&fifo).unwrap();
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type()));
    assert_eq!(meta.permissions().mode() & 0o777, 0o620);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"ping\n"))
        .unwrap();
    assert!(eventually(Duration::from_secs(10), || lab
        .read_out("fifo.txt")
        == "ping\n"));
}

#[test]
fn a_busy_port_fails_the_socket_with_resources() {
    let lab = Lab::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    lab.unit(
        "busy.socket",
        &format!("[Socket]\nListenStream=127.0.0.1:{port}\n"),
    );
    python_service(&lab, "busy", STREAM_SERVER, "");
    let r = lab.ctl(&["start", "busy.socket"]);
    assert_ne!(r.code, 0, "{r:?}");
    assert_eq!(lab.active("busy.socket"), "failed");
    assert_eq!(lab.prop("busy.socket", "Result"), "resources");
    let log = lab.ctl(&["status", "busy.socket"]).stdout;
    assert!(
        log.contains(&format!(
            "Failed to create listening socket (127.0.0.1:{port}): Address already in use"
        )),
        "{log}"
    );
}

#[test]
fn a_socket_without_listen_is_refused_and_a_missing_service_too() {
    let lab = Lab::new();
    lab.unit("empty.socket", "[Socket]\nAccept=no\n");
    lab.unit("lonely.socket", "[Socket]\nListenStream=/run/lonely.sock\n");
    let r = lab.ctl(&["start", "empty.socket"]);
    assert_ne!(r.code, 0);
    assert_eq!(
        lab.ctl(&["show", "-p", "LoadState", "empty.socket"]).stdout,
        "LoadState=bad-setting\n"
    );
    let r = lab.ctl(&["start", "lonely.socket"]);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(!lab.tree.host("/run/lonely.sock").exists());
}
