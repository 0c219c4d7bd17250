//! Path units in systemctl's views: the `org.freedesktop.systemd1.Path` properties of
//! `show` as 252 prints them (`Paths=` newest first, as 252 keeps them).

use crate::verbs::show::props::Props;
use crate::verbs::show::unit::UnitView;
use unitbox_core::path_unit::PathConfig;
use unitbox_core::time::format_timespan;

pub fn path_props(view: &UnitView, p: &mut Props) {
    let (c, _) = PathConfig::from_unit(view.unit, view.store.scope());
    p.text("Unit", c.unit.clone());
    p.lines(
        "Paths",
        c.specs
            .iter()
            .rev()
            .map(|s| format!("{} ({})", s.path.display(), s.kind.key()))
            .collect(),
    );
    p.yes_no("MakeDirectory", c.make_directory);
    p.text("DirectoryMode", format!("{:04o}", c.directory_mode));
    p.text("Result", view.runtime.result.clone());
    p.text(
        "TriggerLimitIntervalUSec",
        format_timespan(c.trigger_limit_interval, 0),
    );
    p.text("TriggerLimitBurst", c.trigger_limit_burst.to_string());
}
