//! `DynamicUser=` on plain system services: allocation, release, crash recovery and
//! concurrent starts.

use super::{lab, passwd, process_uid, GROUP, PASSWD};
use crate::lifecycle::{eventually, pid_alive};
use std::time::Duration;

fn marked_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.contains("unitbox dynamic user"))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_dynamic_user_exists_while_the_unit_runs_and_is_resolvable_inside() {
    let lab = lab();
    let out = lab.out("id");
    lab.unit(
        "dyn.service",
        &format!(
            "[Service]\nDynamicUser=yes\nStateDirectory=dyn\n\
             ExecStartPre=/bin/sh -c 'id -u > {0}; touch {1}/var/lib/dyn/ok'\n\
             ExecStart=/bin/sleep 997\n",
            out.display(),
            lab.tree.path().display()
        ),
    );
    lab.ctl(&["start", "dyn.service"]).ok();
    let uid = super::uid_of(&lab, "dyn").expect("dyn in passwd");
    assert!((61184..=65519).contains(&uid));
    assert_eq!(lab.read_out("id").trim(), uid.to_string());
    assert_eq!(process_uid(lab.main_pid("dyn.service")), Some(uid));
    assert!(lab.tree.host("/var/lib/private/dyn/ok").exists());
    assert!(lab.tree.host("/var/lib/dyn/ok").exists());
    lab.ctl(&["stop", "dyn.service"]).ok();
    assert_eq!(passwd(&lab), PASSWD);
    assert_eq!(
        std::fs::read_to_string(lab.tree.host("/etc/group")).unwrap(),
        GROUP
    );
}

#[test]
fn a_killed_supervisor_leaves_nothing_behind_after_the_next_allocation() {
    let lab = lab();
    // Lines that are not ours, oddly formatted, must survive byte for byte.
    let original =
        format!("{PASSWD}odd:x:1000:1000:odd user, with: colons?:/home/odd:/bin/sh\n#end");
    lab.tree.write("/etc/passwd", &original);
    for name in ["crash", "next"] {
        lab.unit(
            &format!("{name}.service"),
            "[Service]\nDynamicUser=yes\nExecStart=/bin/sleep 996\n",
        );
    }
    lab.ctl(&["start", "crash.service"]).ok();
    assert!(super::uid_of(&lab, "crash").is_some());
    let supervisor: i32 = lab.prop("crash.service", "SupervisorPID").parse().unwrap();
    let main = lab.main_pid("crash.service");
    // SAFETY: pids recorded by this test's own supervisor.
    unsafe {
        libc::kill(supervisor, libc::SIGKILL);
        libc::kill(main as i32, libc::SIGKILL);
    }
    assert!(eventually(Duration::from_secs(5), || !pid_alive(
        supervisor as u32
    )));
    assert_eq!(
        marked_lines(&passwd(&lab)).len(),
        1,
        "the crash left its line"
    );

    lab.ctl(&["start", "next.service"]).ok();
    let text = passwd(&lab);
    let marked = marked_lines(&text);
    assert_eq!(marked.len(), 1, "{text}");
    assert!(marked[0].starts_with("next:x:"), "{text}");
    assert!(text.starts_with(&format!("{original}\n")), "{text}");
    lab.ctl(&["stop", "next.service"]).ok();
    assert_eq!(passwd(&lab), format!("{original}\n"));
    assert_eq!(
        std::fs::read_to_string(lab.tree.host("/etc/group")).unwrap(),
        GROUP
    );
}

#[test]
fn ten_concurrent_starts_get_ten_distinct_uids() {
    let lab = lab();
    let names: Vec<String> = (0..10).map(|i| format!("par{i}.service")).collect();
    for name in &names {
        lab.unit(
            name,
            "[Service]\nType=exec\nDynamicUser=yes\nExecStart=/bin/sleep 995\n",
        );
    }
    std::thread::scope(|s| {
        for name in &names {
            let lab = &lab;
            s.spawn(move || lab.ctl(&["start", name]).ok().code);
        }
    });
    let mut uids: Vec<u32> = names
        .iter()
        .map(|n| process_uid(lab.main_pid(n)).expect("running"))
        .collect();
    assert!(uids.iter().all(|u| (61184..=65519).contains(u)), "{uids:?}");
    uids.sort();
    uids.dedup();
    assert_eq!(uids.len(), 10);
    assert_eq!(marked_lines(&passwd(&lab)).len(), 10);
    let mut args = vec!["stop"];
    args.extend(names.iter().map(String::as_str));
    lab.ctl(&args).ok();
    assert_eq!(passwd(&lab), PASSWD);
}
