use super::*;

#[test]
fn facilities_map_as_252() {
    let f = |w| translate_facility("zzz", w);
    assert_eq!(f("$network").as_deref(), Some("network-online.target"));
    assert_eq!(f("$syslog"), None);
    assert_eq!(f("$local_fs"), None);
    assert_eq!(f("$foo").as_deref(), Some("foo.target"));
    assert_eq!(f("zzz"), None, "its own name");
    assert_eq!(f("other").as_deref(), Some("other.service"));
    assert_eq!(translate_facility("a.sh", "a"), None);
    assert_eq!(translate_name("a.sh"), "a.service");
}

#[test]
fn headers_give_description_dependencies_and_reload() {
    let mut stub = Stub {
        name: "x.service".into(),
        path: "/etc/init.d/x".into(),
        ..Stub::default()
    };
    let text = "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: x y\n# Required-Start: $network\n\
                # Description: long\n#  more\n### END INIT INFO\necho \"Usage: x {start|reload}\"\n";
    load(&mut stub, text, &|_| {});
    assert!(stub.has_lsb && stub.reload);
    assert_eq!(stub.description.as_deref(), Some("LSB: long more"));
    assert_eq!(stub.aliases, ["y.service"]);
    assert_eq!(stub.after, ["network-online.target"]);
    assert_eq!(stub.wants, ["network-online.target"]);
    let mut plain = Stub::default();
    load(&mut plain, "#!/bin/sh\n# description: old\n", &|_| {});
    assert_eq!(plain.description.as_deref(), Some("SYSV: old"));
    assert!(!plain.has_lsb && !plain.reload);
}
