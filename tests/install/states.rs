//! `is-enabled` and `list-unit-files`: every unit file state, exit codes, table and JSON.

use super::*;

/// A tree with one unit in every state systemd 252 can report.
fn all_states() -> Tree {
    let t = fixture();
    let s = "/etc/systemd/system";
    t.symlink(
        &format!("{VENDOR}/foo.service"),
        &format!("{s}/multi-user.target.wants/foo.service"),
    );
    t.symlink(
        &format!("{VENDOR}/t@.service"),
        "/run/systemd/system/multi-user.target.wants/t@r.service",
    );
    t.symlink("/opt/l.service", &format!("{s}/l.service"));
    t.write("/opt/lr.service", &unit("WantedBy=a.target"));
    t.symlink("/opt/lr.service", "/run/systemd/system/lr.service");
    t.symlink("/dev/null", &format!("{s}/m.service"));
    t.symlink("/dev/null", "/run/systemd/system/mr.service");
    t.write("/run/systemd/transient/tr.service", SERVICE);
    t.write("/run/systemd/generator/gen.service", SERVICE);
    t.symlink("foo.service", &format!("{VENDOR}/al.service"));
    t.write(&format!("{VENDOR}/bad.service"), "garbage");
    t.write(&format!("{VENDOR}/empty.service"), "");
    t.symlink("/nonexistent", &format!("{s}/dang.service"));
    // A same-name symlink inside the search path: systemd refuses it (ELOOP).
    t.symlink(
        &format!("{VENDOR}/ind.service"),
        &format!("{s}/ind.service"),
    );
    // A vendor .wants link enables nothing (only instances count, as static).
    t.write(&format!("{VENDOR}/vw.service"), &unit("WantedBy=a.target"));
    t.symlink(
        "../vw.service",
        &format!("{VENDOR}/a.target.wants/vw.service"),
    );
    t.symlink(
        "../t@.service",
        &format!("{VENDOR}/a.target.wants/t@v.service"),
    );
    t
}

#[test]
fn is_enabled_prints_every_state_like_systemd() {
    let t = all_states();
    for name in [
        "foo", "al", "t@", "t@r", "t@def", "t@v", "l", "lr", "m", "mr", "tr", "gen", "bad",
        "empty", "static", "ind", "vw", "baz",
    ] {
        same(&t, &["is-enabled", name]);
    }
    let out = same(&t, &["is-enabled", "foo", "al", "static", "m"]);
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn is_enabled_errors_and_exit_codes_follow_252() {
    let t = all_states();
    // 252: a missing unit is an error (exit 1), not "not-found" (exit 4) as in 253+.
    let out = same(&t, &["is-enabled", "nope"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "Failed to get unit file state for nope.service: No such file or directory\n"
    );
    same(&t, &["is-enabled", "dang"]);
    let out = same(&t, &["is-enabled", "ind"]);
    assert!(
        out.stderr.contains("Too many levels of symbolic links"),
        "{out:?}"
    );
    // Stops at the first error; earlier states are printed.
    same(&t, &["is-enabled", "foo", "nope", "static"]);
    same(&t, &["is-enabled", "a b"]);
    let out = same(&t, &["is-enabled", "-q", "foo", "m"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
    assert_eq!(same(&t, &["is-enabled", "-q", "m"]).code, 1);
    assert_eq!(same(&t, &["is-enabled"]).code, 1);
}

#[test]
fn is_enabled_full_lists_the_links_disable_would_remove() {
    // systemd 252 looks at the host instead of --root here (a bug), so no differential.
    let t = all_states();
    let out = t.systemctl(&["is-enabled", "--full", "foo", "static"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "enabled\n  /etc/systemd/system/multi-user.target.wants/foo.service\nstatic\n"
    );
    // A dry run: nothing was removed.
    assert!(t
        .host("/etc/systemd/system/multi-user.target.wants/foo.service")
        .symlink_metadata()
        .is_ok());
}

#[test]
fn list_unit_files_matches_table_and_json() {
    let t = all_states();
    same(&t, &["list-unit-files"]);
    same(&t, &["list-unit-files", "-o", "json"]);
    same(&t, &["list-unit-files", "-o", "json-pretty"]);
    same(&t, &["list-unit-files", "--no-legend", "f*"]);
    same(
        &t,
        &[
            "list-unit-files",
            "--state=enabled,masked",
            "--type=service",
        ],
    );
    same(&t, &["list-unit-files", "-t", "target", "--all"]);
    same(&t, &["list-unit-files", "t@*", "l*.service"]);
    let none = same(&t, &["list-unit-files", "nomatch*"]);
    assert_eq!(none.code, 1);
}

#[test]
fn list_unit_files_sorts_by_type_then_name() {
    let t = Tree::new();
    for u in [
        "a.socket",
        "z.path",
        "b.mount",
        "c.timer",
        "d.service",
        "a.target",
        "a-b.service",
        "a@.service",
        "aa.service",
    ] {
        t.write(&format!("{VENDOR}/{u}"), "[Unit]\n");
    }
    let out = same(&t, &["list-unit-files", "--no-legend"]);
    let first: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(first[0], "b.mount");
    assert_eq!(first[2], "a-b.service");
}

#[test]
fn list_unit_files_of_500_units_is_fast() {
    let t = Tree::new();
    for i in 0..500 {
        t.write(
            &format!("{VENDOR}/u{i}.service"),
            &unit("WantedBy=multi-user.target"),
        );
        if i % 2 == 0 {
            t.symlink(
                &format!("{VENDOR}/u{i}.service"),
                &format!("/etc/systemd/system/multi-user.target.wants/u{i}.service"),
            );
        }
    }
    let start = std::time::Instant::now();
    let out = t.systemctl(&["list-unit-files", "--no-legend"]);
    let elapsed = start.elapsed();
    assert_eq!(out.stdout.lines().count(), 500);
    assert_eq!(out.stdout.matches(" enabled ").count(), 250);
    // Generous even for an unoptimized build on a loaded machine; systemd takes ~300 ms.
    assert!(elapsed.as_millis() < 1000, "took {elapsed:?}");
    same(&t, &["list-unit-files"]);
}

#[test]
fn install_sections_from_drop_ins_count() {
    let t = fixture();
    t.write(
        "/etc/systemd/system/static.service.d/i.conf",
        "[Install]\nWantedBy=b.target\n",
    );
    t.write(
        &format!("{VENDOR}/t@.service.d/a.conf"),
        "[Install]\nAlias=tt@.service\n",
    );
    same(&t, &["is-enabled", "static"]);
    same(&t, &["enable", "static"]);
    same(&t, &["enable", "t@x"]);
    same(&t, &["list-unit-files"]);
    // A path is not a unit name here.
    same(&t, &["is-enabled", "/opt/l.service"]);
}

#[test]
fn template_enabled_through_its_default_instance_is_enabled() {
    let tree = Tree::new();
    tree.write(
        "/etc/systemd/system/t@.service",
        "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\nDefaultInstance=x\n",
    );
    tree.symlink(
        "/etc/systemd/system/t@.service",
        "/etc/systemd/system/multi-user.target.wants/t@y.service",
    );
    // Another instance only: indirect.
    differential(&tree, &["is-enabled", "t@.service"]);
    tree.symlink(
        "/etc/systemd/system/t@.service",
        "/etc/systemd/system/multi-user.target.wants/t@x.service",
    );
    let (ours, _) = differential(&tree, &["list-unit-files", "t@*"]);
    assert!(ours.stdout.contains("t@.service enabled"), "{ours:?}");
    differential(&tree, &["is-enabled", "t@.service"]);
}

#[test]
fn global_is_enabled_of_a_disabled_unit_exits_1() {
    let tree = Tree::new();
    tree.write(
        "/etc/systemd/user/u.service",
        "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=default.target\n",
    );
    let (ours, _) = differential(&tree, &["--global", "is-enabled", "u.service"]);
    assert_eq!(ours.code, 1);
}
