//! Path units: real `.path` units in `--root` trees whose supervisors watch with inotify
//! and start real oneshot services that append a line per run.

use crate::lifecycle::{eventually, Lab};
use std::time::Duration;

/// A oneshot `NAME.service` appending a line to `out/NAME` per run.
fn counted(lab: &Lab, name: &str, extra: &str) {
    lab.unit(
        &format!("{name}.service"),
        &format!(
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo run >> {}{extra}'\n",
            lab.out(name).display()
        ),
    );
}

fn runs(lab: &Lab, name: &str) -> usize {
    lab.read_out(name).lines().count()
}

#[test]
fn path_changed_fires_within_a_second_and_again_after_the_service_ended() {
    let lab = Lab::new();
    counted(&lab, "w", "");
    lab.unit(
        "w.path",
        "[Path]\nPathChanged=/watch/file\nMakeDirectory=no\n",
    );
    lab.tree.write("/watch/.keep", "");
    assert_eq!(lab.ctl(&["start", "w.path"]).code, 0);
    assert_eq!(lab.prop("w.path", "SubState"), "waiting");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(runs(&lab, "w"), 0, "fired without a change");
    // Creating the file is a change.
    std::fs::write(lab.tree.host("/watch/file"), "1").unwrap();
    assert!(
        eventually(Duration::from_secs(1), || runs(&lab, "w") == 1),
        "no run within a second"
    );
    assert!(eventually(Duration::from_secs(5), || lab
        .prop("w.path", "SubState")
        == "waiting"));
    // A second write after the service ended fires again: the watch was armed anew.
    std::fs::write(lab.tree.host("/watch/file"), "2").unwrap();
    assert!(
        eventually(Duration::from_secs(1), || runs(&lab, "w") == 2),
        "the second change did not fire: {}",
        runs(&lab, "w")
    );
    assert!(eventually(Duration::from_secs(5), || lab
        .prop("w.path", "SubState")
        == "waiting"));
    std::fs::write(lab.tree.host("/watch/file"), "3").unwrap();
    assert!(eventually(Duration::from_secs(1), || runs(&lab, "w") == 3));
    lab.ctl(&["stop", "w.path"]);
    assert_eq!(lab.active("w.path"), "inactive");
    std::fs::write(lab.tree.host("/watch/file"), "4").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(runs(&lab, "w"), 3, "a stopped path unit does not fire");
}

#[test]
fn path_exists_glob_and_directory_not_empty_fire_while_they_hold() {
    let lab = Lab::new();
    // The service removes the file, else PathExists= would start it again at once.
    counted(
        &lab,
        "e",
        &format!("; rm -f {}", lab.tree.host("/spool/flag").display()),
    );
    lab.unit(
        "e.path",
        "[Path]\nPathExists=/spool/flag\nMakeDirectory=yes\nDirectoryMode=0700\n",
    );
    assert_eq!(lab.ctl(&["start", "e.path"]).code, 0);
    let meta = std::fs::metadata(lab.tree.host("/spool/flag")).unwrap();
    assert!(meta.is_dir(), "MakeDirectory= makes the watched path");
    std::fs::remove_dir(lab.tree.host("/spool/flag")).unwrap();
    std::fs::write(lab.tree.host("/spool/flag"), "").unwrap();
    assert!(eventually(Duration::from_secs(1), || runs(&lab, "e") == 1));
    assert!(eventually(Duration::from_secs(5), || lab
        .prop("e.path", "SubState")
        == "waiting"));

    counted(
        &lab,
        "g",
        &format!("; rm -f {}/*.job", lab.tree.host("/queue").display()),
    );
    lab.unit(
        "g.path",
        "[Path]\nPathExistsGlob=/queue/*.job\nUnit=g.service\n",
    );
    lab.tree.write("/queue/.keep", "");
    lab.tree.write("/queue/a.txt", "");
    assert_eq!(lab.ctl(&["start", "g.path"]).code, 0);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(runs(&lab, "g"), 0);
    std::fs::write(lab.tree.host("/queue/x.job"), "").unwrap();
    assert!(eventually(Duration::from_secs(1), || runs(&lab, "g") == 1));

    counted(
        &lab,
        "d",
        &format!("; rm -f {}/*", lab.tree.host("/inbox").display()),
    );
    lab.unit(
        "d.path",
        "[Path]\nDirectoryNotEmpty=/inbox\nMakeDirectory=yes\n",
    );
    assert_eq!(lab.ctl(&["start", "d.path"]).code, 0);
    std::fs::write(lab.tree.host("/inbox/m1"), "").unwrap();
    assert!(eventually(Duration::from_secs(1), || runs(&lab, "d") == 1));
    assert!(eventually(Duration::from_secs(5), || lab
        .prop("d.path", "SubState")
        == "waiting"));
    std::fs::write(lab.tree.host("/inbox/m2"), "").unwrap();
    assert!(eventually(Duration::from_secs(1), || runs(&lab, "d") == 2));
}

#[test]
fn show_and_refusals_as_252() {
    let lab = Lab::new();
    counted(&lab, "w", "");
    lab.unit("w.path", "[Path]\nPathExists=/tmp/e\nPathChanged=/tmp/w\n");
    lab.unit("none.path", "[Path]\nMakeDirectory=yes\n");
    let show = lab
        .ctl(&[
            "show",
            "-p",
            "Unit,Paths,MakeDirectory,DirectoryMode,TriggerLimitBurst,Before,Triggers",
            "w.path",
        ])
        .stdout;
    assert_eq!(
        show,
        "Unit=w.service\nPaths=/tmp/w (PathChanged)\nPaths=/tmp/e (PathExists)\nMakeDirectory=no\nDirectoryMode=0755\nTriggerLimitBurst=200\nBefore=w.service paths.target\nTriggers=w.service\n"
    );
    assert_ne!(lab.ctl(&["start", "none.path"]).code, 0);
    assert_eq!(
        lab.ctl(&["show", "-p", "LoadState", "none.path"]).stdout,
        "LoadState=bad-setting\n"
    );
}
