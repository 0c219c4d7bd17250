//! enable, disable, reenable, mask, unmask, link, set-default: symlinks and messages.

use super::*;

#[test]
fn enable_follows_wanted_by_required_by_alias_and_also() {
    let t = fixture();
    let out = same(&t, &["enable", "foo"]);
    assert!(out.stderr.contains(
        "Created symlink <ROOT>/etc/systemd/system/multi-user.target.wants/foo.service → /usr/lib/systemd/system/foo.service.\n"
    ), "{out:?}");
    same(&t, &["enable", "foo", "baz", "ind"]);
    same(&t, &["enable", "bar"]);
    same(&t, &["enable", "--runtime", "foo"]);
    same_in_locale(&t, &["enable", "foo"], "C");
    same(&t, &["-q", "enable", "foo"]);
}

#[test]
fn enable_templates_use_default_or_given_instance() {
    let t = fixture();
    same(&t, &["enable", "t@"]);
    same(&t, &["enable", "t@y"]);
    same(&t, &["enable", "t@y.service", "t@z.service"]);
    t.write(
        &format!("{VENDOR}/nt@.service"),
        &unit("WantedBy=multi-user.target\nAlias=x.socket %p-a.service %i-b.service"),
    );
    // No DefaultInstance: a template cannot go into a non-template .wants/.
    assert_eq!(same(&t, &["enable", "nt@"]).code, 1);
    assert_eq!(same(&t, &["enable", "nt@q"]).code, 1);
    t.write(&format!("{VENDOR}/ta@.service"), &unit("Alias=tb@.service"));
    same(&t, &["enable", "ta@"]);
    same(&t, &["enable", "ta@x"]);
}

#[test]
fn specifiers_in_install_section() {
    let t = fixture();
    t.write(
        &format!("{VENDOR}/sp.service"),
        &unit("WantedBy=%p@%i.target a/b %n.target\nRequiredBy=y@.target"),
    );
    assert_eq!(same(&t, &["enable", "sp"]).code, 1);
    t.write(
        &format!("{VENDOR}/sq@.service"),
        &unit("WantedBy=%p-%i.target\nAlso=%p-helper.service\nDefaultInstance=one"),
    );
    t.write(
        &format!("{VENDOR}/sq-helper.service"),
        &unit("WantedBy=b.target"),
    );
    same(&t, &["enable", "sq@"]);
    same(&t, &["enable", "sq@two"]);
}

#[test]
fn enable_without_install_section_warns() {
    let t = fixture();
    let out = same(&t, &["enable", "static"]);
    assert!(
        out.stderr.contains("• A unit may be statically enabled"),
        "{out:?}"
    );
    same_in_locale(&t, &["enable", "static"], "C");
    assert_eq!(same(&t, &["enable", "-q", "static"]).stderr, "");
    // --no-warn is systemd 253+: we accept it (systemd 252 rejects the option).
    let ours = t.systemctl(&["enable", "--no-warn", "static"]);
    assert_eq!((ours.code, ours.stderr.as_str()), (0, ""));
}

#[test]
fn enable_errors_are_systemds() {
    let t = fixture();
    t.symlink("/dev/null", "/etc/systemd/system/m.service");
    t.write(&format!("{VENDOR}/empty.service"), "");
    t.symlink("/nonexistent", "/etc/systemd/system/dang.service");
    t.write(
        "/run/systemd/generator/gen.service",
        &unit("WantedBy=a.target"),
    );
    for args in [
        &["enable", "m"][..],
        &["enable", "empty"],
        &["enable", "nope"],
        &["enable", "dang"],
        &["enable", "gen"],
        &["enable", "/opt/none.service"],
        &["enable", "a b"],
        &["enable", "foo", "nope"],
        &["enable", "@a.service"],
        &["is-enabled", "@a.service"],
        &["mask", "@"],
    ] {
        let out = same(&t, args);
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
    }
    t.write(
        &format!("{VENDOR}/am.service"),
        &unit("Also=missing.service\nWantedBy=a.target"),
    );
    assert_eq!(same(&t, &["enable", "am"]).code, 0);
}

#[test]
fn enable_a_path_links_it_first() {
    let t = fixture();
    t.write(
        "/opt/x.service",
        &unit("WantedBy=a.target\nAlias=xa.service"),
    );
    same(&t, &["enable", "/opt/x.service"]);
    same(&t, &["enable", "/opt/l.service"]);
}

#[test]
fn disable_removes_every_link_to_the_unit() {
    let t = fixture();
    let s = "/etc/systemd/system";
    t.symlink(
        &format!("{VENDOR}/foo.service"),
        &format!("{s}/multi-user.target.wants/foo.service"),
    );
    t.symlink(
        &format!("{VENDOR}/foo.service"),
        &format!("{s}/bar.service"),
    );
    t.symlink(
        &format!("{VENDOR}/foo.service"),
        &format!("{s}/custom.target.requires/other.service"),
    );
    t.symlink(
        &format!("{VENDOR}/baz.service"),
        &format!("{s}/foo.service.requires/baz.service"),
    );
    t.symlink(
        &format!("{VENDOR}/t@.service"),
        &format!("{s}/multi-user.target.wants/t@a.service"),
    );
    t.symlink(
        &format!("{VENDOR}/t@.service"),
        &format!("{s}/multi-user.target.wants/t@b.service"),
    );
    t.symlink(
        &format!("{VENDOR}/t@.service"),
        "/run/systemd/system/multi-user.target.wants/t@r.service",
    );
    t.symlink("/dev/null", &format!("{s}/m.service"));
    t.symlink("/opt/l.service", &format!("{s}/l.service"));
    t.symlink("/opt/l.service", &format!("{s}/a.target.wants/l.service"));
    same(&t, &["disable", "foo"]);
    same(&t, &["disable", "bar"]);
    same(&t, &["disable", "t@"]);
    same(&t, &["disable", "t@a"]);
    same(&t, &["disable", "t@r"]);
    same(&t, &["disable", "--runtime", "t@r"]);
    same(&t, &["disable", "l"]);
    same(&t, &["disable", "m"]);
    // A missing unit is reported, but still "succeeds" in 252.
    assert_eq!(same(&t, &["disable", "nope"]).code, 0);
    same(&t, &["-q", "disable", "foo", "t@"]);
}

#[test]
fn reenable_recreates_links_even_of_linked_units() {
    let t = fixture();
    let s = "/etc/systemd/system";
    t.symlink(
        &format!("{VENDOR}/foo.service"),
        &format!("{s}/multi-user.target.wants/foo.service"),
    );
    t.symlink("/opt/l.service", &format!("{s}/l.service"));
    same(&t, &["reenable", "foo"]);
    same(&t, &["reenable", "l"]);
    same(&t, &["reenable", "static"]);
}

#[test]
fn mask_and_unmask() {
    let t = fixture();
    t.symlink("/dev/null", "/etc/systemd/system/m.service");
    t.symlink("/dev/null", "/run/systemd/system/mr.service");
    t.write("/etc/systemd/system/real.service", SERVICE);
    same(&t, &["mask", "static"]);
    same(&t, &["mask", "static", "bogus", "nope.foo"]);
    same(&t, &["mask", "--runtime", "foo"]);
    same(&t, &["mask", "m"]);
    same_in_locale(&t, &["mask", "foo"], "C");
    // A real file in the way is never replaced, not even with --force.
    assert_eq!(same(&t, &["mask", "real"]).code, 1);
    assert_eq!(same(&t, &["mask", "--force", "real"]).code, 1);
    same(&t, &["unmask", "m"]);
    same(&t, &["unmask", "mr"]);
    same(&t, &["unmask", "--runtime", "mr"]);
    same(&t, &["unmask", "real", "nope"]);
    same(&t, &["-q", "unmask", "m"]);
    // Names that are no unit names are escaped, with systemd's notice (not with -q).
    same(&t, &["mask", "a b"]);
    same(&t, &["-q", "mask", "c d"]);
}

#[test]
fn link_needs_absolute_paths_outside_the_search_path() {
    let t = fixture();
    same(&t, &["link", "/opt/l.service"]);
    // A file already in the search path needs no link. (systemd 252 links it anyway under
    // --root, comparing a logical path with root-prefixed ones; the link it makes loops.)
    t.systemctl(&["link", "/usr/lib/systemd/system/foo.service"])
        .ok();
    assert!(t
        .host("/etc/systemd/system/foo.service")
        .symlink_metadata()
        .is_err());
    assert_eq!(same(&t, &["link", "/opt/none.service"]).code, 1);
    assert_eq!(same(&t, &["link", "foo"]).code, 1);
    t.symlink("/opt/other.service", "/etc/systemd/system/l.service");
    same(&t, &["link", "/opt/l.service"]);
    same(&t, &["link", "--force", "/opt/l.service"]);
}

#[test]
fn set_default_and_get_default() {
    let t = fixture();
    assert_eq!(same(&t, &["get-default"]).code, 1);
    same(&t, &["set-default", "multi-user"]);
    same(&t, &["set-default", "multi-user.target"]);
    assert_eq!(same(&t, &["set-default", "nope.target"]).code, 1);
    assert_eq!(same(&t, &["set-default", "foo.service"]).code, 1);
    t.symlink(
        "/usr/lib/systemd/system/multi-user.target",
        "/etc/systemd/system/default.target",
    );
    let out = same(&t, &["get-default"]);
    assert_eq!(out.stdout, "multi-user.target\n");
}

#[test]
fn unusable_config_dir_fails_like_systemd() {
    let t = fixture();
    t.write(
        "/etc/systemd/system/multi-user.target.wants",
        "not a directory",
    );
    // The failed .wants link is reported, but the alias made before it decides: exit 0.
    let out = same(&t, &["enable", "foo"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stderr.contains("wants/foo.service\": Not a directory"),
        "{out:?}"
    );
    // --global writes /etc/systemd/user: make that a file.
    let t = Tree::new();
    t.write(
        "/usr/lib/systemd/user/uu.service",
        &unit("WantedBy=default.target"),
    );
    t.write("/etc/systemd/user", "not a directory");
    for verb in ["enable", "disable", "mask", "unmask", "preset"] {
        let out = same(&t, &["--global", verb, "uu"]);
        assert_eq!(out.code, 1, "{verb}: {out:?}");
    }
}
