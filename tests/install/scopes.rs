//! `--global`, `--user` and SysV init scripts.

use super::*;

fn user_tree() -> Tree {
    let t = Tree::new();
    t.write(
        "/usr/lib/systemd/user/uu.service",
        &unit("WantedBy=default.target"),
    );
    t
}

#[test]
fn global_scope_writes_etc_systemd_user() {
    let t = user_tree();
    same(&t, &["--global", "enable", "uu"]);
    same(&t, &["--global", "list-unit-files"]);
    t.symlink(
        "/usr/lib/systemd/user/uu.service",
        "/etc/systemd/user/default.target.wants/uu.service",
    );
    same(&t, &["--global", "is-enabled", "uu"]);
    same(&t, &["--global", "disable", "uu"]);
    same(&t, &["--global", "mask", "uu"]);
}

#[test]
fn user_scope_uses_the_callers_config_home() {
    // systemd 252 refuses --user with --root (EINVAL); we support it.
    let t = user_tree();
    let theirs = t.oracle(&["--user", "enable", "uu"]);
    assert_eq!(theirs.code, 1, "{theirs:?}");
    let run = |args: &[&str]| {
        run_cmd(
            std::process::Command::new(applet("systemctl"))
                .arg(format!("--root={}", t.path().display()))
                .arg("--user")
                .args(args)
                .env("HOME", "/home/al")
                .env("XDG_CONFIG_HOME", "/home/al/.config")
                .env("XDG_RUNTIME_DIR", "/run/user/1000"),
        )
    };
    run(&["enable", "uu"]).ok();
    let link = "/home/al/.config/systemd/user/default.target.wants/uu.service";
    assert_eq!(
        std::fs::read_link(t.host(link)).unwrap(),
        std::path::Path::new("/usr/lib/systemd/user/uu.service")
    );
    assert_eq!(run(&["is-enabled", "uu"]).stdout, "enabled\n");
    run(&["enable", "--runtime", "uu"]).ok();
    assert!(t
        .host("/run/user/1000/systemd/user/default.target.wants/uu.service")
        .symlink_metadata()
        .is_ok());
    run(&["disable", "uu"]).ok();
    assert!(t.host(link).symlink_metadata().is_err());
    assert_eq!(run(&["is-enabled", "uu"]).stdout, "enabled-runtime\n");
}

fn sysv_tree() -> Tree {
    let t = fixture();
    t.write(
        "/etc/init.d/sv",
        "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: sv\n# Default-Start: 2 3 4 5\n# Default-Stop: 0 1 6\n### END INIT INFO\necho hi\n",
    );
    t
}

#[test]
fn sysv_scripts_are_not_unit_files() {
    let t = sysv_tree();
    same(&t, &["list-unit-files"]);
    let (ours, _) = differential_in_locale(&t, &["is-enabled", "sv"], "C.UTF-8");
    assert_eq!((ours.code, ours.stdout.as_str()), (1, "disabled\n"));
    assert!(ours
        .stderr
        .starts_with("sv.service is not a native service, redirecting to systemd-sysv-install.\n"));
    t.symlink("../init.d/sv", "/etc/rc5.d/S01sv");
    let (ours, _) = differential_in_locale(&t, &["is-enabled", "sv", "foo"], "C.UTF-8");
    assert_eq!(ours.stdout, "enabled\ndisabled\n");
}

#[test]
fn sysv_enable_and_disable_make_rc_links() {
    // systemd 252 runs update-rc.d inside the root (absent here), so no differential.
    let t = sysv_tree();
    t.systemctl(&["enable", "sv"]).ok();
    assert_eq!(
        std::fs::read_link(t.host("/etc/rc2.d/S01sv")).unwrap(),
        std::path::Path::new("../init.d/sv")
    );
    assert!(t.host("/etc/rc0.d/K01sv").symlink_metadata().is_ok());
    assert_eq!(t.systemctl(&["is-enabled", "sv"]).code, 0);
    t.systemctl(&["disable", "sv"]).ok();
    assert!(t.host("/etc/rc2.d/K01sv").symlink_metadata().is_ok());
    assert_eq!(t.systemctl(&["is-enabled", "sv"]).stdout, "disabled\n");
}
