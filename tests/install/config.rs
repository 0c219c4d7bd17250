//! add-wants, add-requires and revert against systemd 252's `systemctl --root`.

use super::*;

fn tree() -> Tree {
    let t = fixture();
    t.write(&format!("{VENDOR}/t.target"), "[Unit]\nDescription=t\n");
    t.write(&format!("{VENDOR}/a.service"), &unit(""));
    t.write(
        &format!("{VENDOR}/b.service"),
        &unit("WantedBy=other.target"),
    );
    t.write(&format!("{VENDOR}/tp@.service"), &unit(""));
    t.symlink("/dev/null", "/etc/systemd/system/mk.service");
    t.symlink("a.service", &format!("{VENDOR}/al.service"));
    t
}

#[test]
fn add_wants_and_requires_link_as_252() {
    let t = tree();
    let out = same(&t, &["add-wants", "t.target", "a.service"]);
    assert_eq!(
        out.stderr,
        "Created symlink <ROOT>/etc/systemd/system/t.target.wants/a.service → /usr/lib/systemd/system/a.service.\n"
    );
    same(&t, &["add-requires", "t", "a", "b"]);
    same(&t, &["add-wants", "--runtime", "t.target", "a"]);
    same(&t, &["add-wants", "a.service", "b.service"]);
    same(
        &t,
        &[
            "add-wants",
            "t.target",
            "tp@x.service",
            "al",
            "/opt/l.service",
            "a",
        ],
    );
    same(&t, &["-q", "add-wants", "t.target", "a"]);
    same_in_locale(&t, &["add-wants", "t.target", "a"], "C");
    // An existing link is kept silently.
    t.symlink(
        &format!("{VENDOR}/a.service"),
        "/etc/systemd/system/t.target.wants/a.service",
    );
    assert_eq!(same(&t, &["add-wants", "t.target", "a"]).stderr, "");
}

#[test]
fn add_wants_refuses_as_252() {
    let t = tree();
    for args in [
        &["add-wants", "nope.target", "a"][..],
        &["add-wants", "t.target", "nope"],
        &["add-wants", "t.target", "mk"],
        &["add-wants", "mk.service", "a"],
        &["add-wants", "t.target", "tp@"],
        &["add-requires", "t.target", "bad@@"],
        &["add-wants", "t.target"],
        &["-q", "add-wants", "nope.target", "a"],
    ] {
        let out = same(&t, args);
        assert_ne!(out.code, 0, "{args:?}");
    }
}

/// A unit with every kind of local change `revert` undoes.
fn changed() -> Tree {
    let t = tree();
    let a = unit("WantedBy=multi-user.target");
    t.write(&format!("{VENDOR}/a.service"), &a);
    t.write("/etc/systemd/system/a.service", &a);
    t.write("/run/systemd/system/a.service", &a);
    for dir in [
        "/etc/systemd/system",
        "/run/systemd/system",
        "/etc/systemd/system.control",
        "/run/systemd/system.control",
        "/run/systemd/transient",
        VENDOR,
    ] {
        t.write(&format!("{dir}/a.service.d/override.conf"), "[Unit]\n");
    }
    t.write("/etc/systemd/system/local.service", &unit(""));
    t.write("/etc/systemd/system/local.service.d/o.conf", "[Unit]\n");
    t.symlink("/dev/null", "/run/systemd/system/m.service");
    t.write(&format!("{VENDOR}/m.service"), &unit(""));
    t.write("/lib/systemd/system/old.service", &unit(""));
    t.write("/etc/systemd/system/old.service", &unit(""));
    t
}

#[test]
fn revert_removes_dropins_copies_and_masks_as_252() {
    let t = changed();
    let out = same(&t, &["revert", "a.service"]);
    assert!(
        out.stderr
            .contains("Removed \"<ROOT>/etc/systemd/system.control/a.service.d/override.conf\".\n"),
        "{out:?}"
    );
    assert!(!t.copy().systemctl(&["revert", "a"]).stderr.contains(VENDOR));
    same(&t, &["revert", "local", "m"]);
    same(&t, &["revert", "mk", "old"]);
    same(&t, &["revert", "-q", "a"]);
    same(&t, &["revert", "nope"]);
    assert_eq!(same(&t, &["revert", "/x/y.service"]).code, 1);
    assert_eq!(same(&t, &["revert"]).code, 1);
    // Several drop-ins: 252 reports them in directory order.
    for f in ["z", "a", "m"] {
        t.write(&format!("/etc/systemd/system/a.service.d/{f}.conf"), "");
    }
    t.write("/etc/systemd/system/a.service.d/sub/x.conf", "");
    same_lines(&t, &["revert", "a"]);
}

/// Links to a removed copy go too. 252 does that without --root (observed on a booted 252),
/// but with --root it compares the links' targets with the root prefix and keeps them.
#[test]
fn revert_removes_links_to_the_removed_copy() {
    let t = changed();
    t.symlink(
        "/etc/systemd/system/a.service",
        "/etc/systemd/system/multi-user.target.wants/a.service",
    );
    t.systemctl(&["revert", "a"]).ok();
    assert!(!t
        .host("/etc/systemd/system/multi-user.target.wants/a.service")
        .is_symlink());
    assert!(!t.host("/etc/systemd/system/a.service").exists());
    assert!(t
        .host(&format!("{VENDOR}/a.service.d/override.conf"))
        .exists());
}
