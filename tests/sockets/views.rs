//! `list-sockets`, `status` and `show` of sockets as 252 prints them.

use super::{free_port, python_service, STREAM_SERVER};
use crate::lifecycle::Lab;

#[test]
fn list_sockets_with_types_all_and_patterns() {
    let lab = Lab::new();
    let port = free_port();
    lab.unit(
        "a.socket",
        &format!("[Socket]\nListenStream=127.0.0.1:{port}\nListenDatagram=@unitbox-test-{port}\nListenSequentialPacket=/run/a.seq\n"),
    );
    lab.unit("b.socket", "[Socket]\nListenFIFO=/run/b.fifo\n");
    python_service(&lab, "a", STREAM_SERVER, "");
    python_service(&lab, "b", STREAM_SERVER, "");
    assert_eq!(lab.ctl(&["start", "a.socket"]).code, 0);
    let out = lab.ctl(&["list-sockets"]).stdout;
    let abs = format!("@unitbox-test-{port}");
    let inet = format!("127.0.0.1:{port}");
    let w = abs.len().max(inet.len());
    let want = format!(
        "{:w$} UNIT     ACTIVATES\n{:w$} a.socket a.service\n{:w$} a.socket a.service\n{:w$} a.socket a.service\n\n3 sockets listed.\nPass --all to see loaded but inactive sockets, too.\n",
        "LISTEN", "/run/a.seq", inet, abs
    );
    assert_eq!(out, want);
    let out = lab
        .ctl(&["list-sockets", "--all", "--show-types", "b*"])
        .stdout;
    assert_eq!(
        out,
        "LISTEN      TYPE UNIT     ACTIVATES\n/run/b.fifo FIFO b.socket b.service\n\n1 sockets listed.\n"
    );
    let status = lab.ctl(&["status", "a.socket"]).stdout;
    assert!(
        status.contains(&format!(
            "   Triggers: ● a.service\n     Listen: 127.0.0.1:{port} (Stream)\n             @unitbox-test-{port} (Datagram)\n             /run/a.seq (SequentialPacket)\n"
        )),
        "{status}"
    );
    assert!(status.contains("Listening on a.socket."), "{status}");
    let show = lab
        .ctl(&[
            "show",
            "-p",
            "Listen,Accept,Triggers,Before,FileDescriptorName,SubState",
            "a.socket",
        ])
        .stdout;
    assert_eq!(
        show,
        format!("Accept=no\nListen=127.0.0.1:{port} (Stream)\nListen=@unitbox-test-{port} (Datagram)\nListen=/run/a.seq (SequentialPacket)\nFileDescriptorName=a.socket\nBefore=a.service sockets.target\nTriggers=a.service\nSubState=listening\n")
    );
    let show = lab
        .ctl(&["show", "-p", "After,TriggeredBy,Requires", "a.service"])
        .stdout;
    assert_eq!(show, "Requires=\nAfter=a.socket\nTriggeredBy=a.socket\n");
}
