//! journald's receivers under a Lab (`systemctl --root=… start systemd-journald`): real
//! clients — python's `socket`, util-linux `logger`, the machine's `/usr/bin/systemd-cat`
//! (in a mount namespace where `/run/systemd/journal` is the Lab's) — and `journalctl`
//! reading what they sent back, attributed to the sender's unit.

mod cat;
mod limits;

use crate::lifecycle::{eventually, Lab};
use crate::support::{applet, python, run_cmd, Run};
use std::process::Command;
use std::time::Duration;

fn journalctl(lab: &Lab, args: &[&str]) -> Run {
    run_cmd(
        Command::new(applet("journalctl"))
            .arg(format!("--root={}", lab.tree.path().display()))
            .args(args),
    )
}

fn start_journald(lab: &Lab) {
    let start = lab.ctl(&["start", "systemd-journald.service"]);
    assert_eq!(start.code, 0, "{start:?}");
    for socket in ["socket", "stdout", "dev-log"] {
        assert!(lab
            .tree
            .host(&format!("/run/systemd/journal/{socket}"))
            .exists());
    }
    let dev_log = std::fs::read_link(lab.tree.host("/dev/log")).unwrap();
    assert_eq!(dev_log.to_str(), Some("/run/systemd/journal/dev-log"));
}

/// The real interpreter (the `python3` on PATH may be a shim that needs the caller's
/// environment, which services do not have).
fn python_exe() -> String {
    python("import sys; print(sys.executable)", "")
        .trim()
        .to_string()
}

/// Sends one entry: `native` (the binary-safe form for a value that holds a newline) or
/// `syslog` (RFC 3164, daemon.err). It stays a moment, as a daemon would: journald looks the
/// sender up in /proc, which a process that is already gone has left.
const CLIENT: &str = r#"
import socket, struct, sys, time
def binary(k, v): return k + b"\n" + struct.pack("<Q", len(v)) + v + b"\n"
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
path, kind, text = sys.argv[1], sys.argv[2], sys.argv[3].encode()
if kind == "native":
    s.sendto(b"MESSAGE=" + text + b"\nPRIORITY=3\nSYSLOG_IDENTIFIER=pyclient\n"
             + binary(b"DETAIL", b"two\nlines"), path)
else:
    s.sendto(b"<27>Dec  3 06:16:09 svc-syslog[77]: " + text + b"\n", path)
time.sleep(float(sys.argv[4]) if len(sys.argv) > 4 else 0)
"#;

fn lines(run: &Run) -> Vec<String> {
    run.ok().stdout.lines().map(str::to_string).collect()
}

fn wait_for(lab: &Lab, args: &[&str], n: usize) -> Vec<String> {
    let mut got = Vec::new();
    eventually(Duration::from_secs(5), || {
        got = lines(&journalctl(lab, args));
        got.len() >= n
    });
    got
}

#[test]
fn every_input_lands_with_its_fields_and_unit() {
    let lab = Lab::new();
    start_journald(&lab);
    let dev_log = lab.tree.host("/run/systemd/journal/dev-log");
    let native = lab.tree.host("/run/systemd/journal/socket");
    let script = lab.out("client.py");
    std::fs::write(&script, CLIENT).unwrap();
    let (py, script_path) = (python_exe(), script.display().to_string());
    // A service that logs through syslog and the native protocol.
    lab.unit(
        "talker.service",
        &format!(
            "[Service]\nType=oneshot\nExecStart={py} {script_path} {} syslog syslog-from-unit 0.3\n\
             ExecStart={py} {script_path} {} native native-from-unit 0.3\n",
            dev_log.display(),
            native.display()
        ),
    );
    assert_eq!(lab.ctl(&["start", "talker.service"]).code, 0);
    // Processes outside any unit: python from the test itself, logger --rfc5424.
    run_cmd(
        Command::new(&py)
            .arg(&script)
            .arg(&native)
            .args(["native", "native-outside", "0.3"]),
    );
    run_cmd(Command::new("logger").arg("-u").arg(&dev_log).args([
        "--rfc5424",
        "-t",
        "rfc",
        "--msgid",
        "M1",
        "five-four-two-four",
    ]));

    let unit = wait_for(&lab, &["_SYSTEMD_UNIT=talker.service", "-o", "cat"], 2);
    assert_eq!(unit, ["syslog-from-unit", "native-from-unit"]);
    assert_eq!(
        lines(&journalctl(
            &lab,
            &["-u", "talker", "-t", "svc-syslog", "-o", "cat"]
        )),
        ["syslog-from-unit"]
    );
    let outside = wait_for(&lab, &["-t", "pyclient", "-t", "rfc", "-o", "cat"], 3);
    assert_eq!(
        outside,
        ["native-from-unit", "native-outside", "five-four-two-four"]
    );
    // Fields, as journald stores them.
    let json = journalctl(&lab, &["-o", "json", "MESSAGE=native-outside"])
        .ok()
        .stdout
        .clone();
    let check = r#"
import json, sys
e = json.loads(sys.stdin.read())
print(e["_TRANSPORT"], e["PRIORITY"], e["DETAIL"].replace("\n", "|"), e["_COMM"].startswith("python"),
      "_SYSTEMD_UNIT" in e, e["_PID"].isdigit(), e["__CURSOR"].startswith("s="))
"#;
    assert_eq!(
        python(check, &json),
        "journal 3 two|lines True False True True\n"
    );
    let json = journalctl(&lab, &["-o", "json", "SYSLOG_IDENTIFIER=svc-syslog"])
        .ok()
        .stdout
        .clone();
    let check = r#"
import json, sys
e = json.loads(sys.stdin.read())
print(e["_TRANSPORT"], e["PRIORITY"], e["SYSLOG_FACILITY"], e["_SYSTEMD_UNIT"], e["SYSLOG_PID"],
      e["SYSLOG_TIMESTAMP"])
"#;
    assert_eq!(
        python(check, &json),
        "syslog 3 3 talker.service 77 Dec  3 06:16:09 \n"
    );
    let json = journalctl(&lab, &["-o", "json", "-t", "rfc"])
        .ok()
        .stdout
        .clone();
    let check = r#"
import json, sys
e = json.loads(sys.stdin.read())
print(e["SYSLOG_MSGID"], e["SYSLOG_FACILITY"], e["PRIORITY"], "T" in e["SYSLOG_TIMESTAMP"])
"#;
    assert_eq!(python(check, &json), "M1 1 5 True\n");
    // -p err: the two error-level records of the unit, not the notice.
    let errors = lines(&journalctl(
        &lab,
        &["-p", "err", "-o", "cat", "-u", "talker"],
    ));
    assert_eq!(errors, ["syslog-from-unit", "native-from-unit"]);
}

/// Runs `script` with `sh` in a mount namespace where `/run/systemd/journal` is the Lab's
/// (or, with `lab` None, an empty `/run/systemd`: no journald listens).
fn in_journal_namespace(lab: Option<&Lab>, script: &str) -> Run {
    let bind = match lab {
        Some(lab) => format!(
            "mkdir /run/systemd/journal && mount --bind {} /run/systemd/journal && ",
            lab.tree.host("/run/systemd/journal").display()
        ),
        None => String::new(),
    };
    let script = format!("mount -t tmpfs none /run/systemd && {bind}{script}");
    run_cmd(Command::new("unshare").args(["-m", "sh", "-c", &script]))
}

/// `/usr/bin/systemd-cat` (systemd 252's own client) talking to our receiver, in a mount
/// namespace where `/run/systemd/journal` is the Lab's.
#[test]
fn the_real_systemd_cat_speaks_to_our_stream_socket() {
    let lab = Lab::new();
    start_journald(&lab);
    let script = "printf 'plain line\\n<3>an error\\n' | /usr/bin/systemd-cat -t realcat -p notice && \
         /usr/bin/systemd-cat -t realcmd --stderr-priority=err sh -c 'echo to-out; echo to-err >&2'";
    let run = in_journal_namespace(Some(&lab), script);
    assert_eq!(run.code, 0, "{run:?}");
    let got = wait_for(&lab, &["-t", "realcat", "-o", "json"], 2);
    let check = r#"
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    print(e["MESSAGE"], e["PRIORITY"], e["_TRANSPORT"], "SYSLOG_FACILITY" in e)
"#;
    assert_eq!(
        python(check, &(got.join("\n") + "\n")),
        "plain line 5 stdout False\nan error 3 stdout False\n"
    );
    let cmd = wait_for(&lab, &["-t", "realcmd", "-o", "json"], 2);
    let check = r#"
import json, sys
print(sorted((json.loads(l)["MESSAGE"], json.loads(l)["PRIORITY"]) for l in sys.stdin))
"#;
    assert_eq!(
        python(check, &(cmd.join("\n") + "\n")),
        "[('to-err', '3'), ('to-out', '6')]\n"
    );
}
