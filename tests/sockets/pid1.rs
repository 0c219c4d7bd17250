//! Sockets under a unitbox PID 1: enabled sockets (`WantedBy=sockets.target`) listen after
//! the boot without their services; an `Accept=yes` socket runs one instance per client.

use crate::init::container::{wait_for, Container, Rootfs};
use std::io::Read;
use std::os::unix::net::UnixStream;
use std::time::Duration;

const SYS: &str = "/etc/systemd/system";

#[test]
fn enabled_sockets_listen_after_boot_and_their_services_wait_for_clients() {
    let fs = Rootfs::new();
    fs.enabled(
        SYS,
        "hello.socket",
        "sockets.target",
        "[Socket]\nListenStream=/run/hello.sock\nAccept=yes\n[Install]\nWantedBy=sockets.target\n",
    );
    fs.write(
        &format!("{SYS}/hello@.service"),
        "[Service]\nExecStart=/bin/echo hello from the instance\nStandardInput=socket\n",
    );
    fs.enabled(
        SYS,
        "idle.socket",
        "sockets.target",
        "[Socket]\nListenStream=/run/idle.sock\n[Install]\nWantedBy=sockets.target\n",
    );
    fs.write(
        &format!("{SYS}/idle.service"),
        "[Service]\nExecStart=/bin/sleep 1000\n",
    );
    let c = Container::boot(fs, None, &[]);
    assert_eq!(c.wait_booted(), "running", "console:\n{}", c.console());
    let active = c.systemctl(&["is-active", "hello.socket", "idle.socket", "idle.service"]);
    assert_eq!(
        active.stdout,
        "active\nactive\ninactive\n",
        "{}",
        c.console()
    );

    let mut answer = String::new();
    let mut stream = UnixStream::connect(c.fs.path("/run/hello.sock")).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.read_to_string(&mut answer).unwrap();
    assert_eq!(answer, "hello from the instance\n");

    let _client = UnixStream::connect(c.fs.path("/run/idle.sock")).expect("connect");
    let started = wait_for(Duration::from_secs(10), || {
        (c.systemctl(&["is-active", "idle.service"]).stdout == "active\n").then_some(())
    });
    assert!(
        started.is_some(),
        "idle.service never started: {}",
        c.console()
    );
    let list = c.systemctl(&["list-sockets"]);
    assert!(
        list.stdout.starts_with("LISTEN          UNIT         ACTIVATES\n/run/hello.sock hello.socket -\n/run/idle.sock  idle.socket  idle.service\n"),
        "{}",
        list.stdout
    );
}
