//! Sockets in systemctl's views, as 252 prints them: `list-sockets` (LISTEN [TYPE] UNIT
//! ACTIVATES, legend and footer, `--all`, `--show-types`, patterns), the `Listen:` and
//! `Accepted:` lines of `status`, and the socket properties of `show`. Addresses come
//! from the unit's configuration, counters from the socket supervisor's record.

use crate::context::Ctx;
use crate::exit::{CtlResult, ExitStatus};
use crate::output::columns;
use crate::units::{Dep, Universe};
use crate::verbs::show::props::Props;
use crate::verbs::show::runtime::RuntimeState;
use crate::verbs::show::unit::UnitView;
use unitbox_core::glob::unit_name_matches;
use unitbox_core::scope::Scope;
use unitbox_core::socket::record::SocketRecord;
use unitbox_core::socket::SocketConfig;
use unitbox_core::state::StateDir;
use unitbox_core::time::format_timespan;
use unitbox_core::unit::{Unit, UnitName};

/// The socket's counters, if it is active now.
pub fn record(scope: &Scope, unit: &Unit) -> SocketRecord {
    let Ok(Some(dir)) = StateDir::existing(scope) else {
        return SocketRecord::default();
    };
    SocketRecord::read(&dir.unit_paths(unit.id.as_str()).state)
}

/// `Listen:` lines (and `Accepted:` of an `Accept=yes` socket) of `status`.
pub fn status_lines(scope: &Scope, unit: &Unit) -> String {
    let (config, _) = SocketConfig::from_unit(unit, scope);
    let mut out = String::new();
    for (i, l) in config.listens.iter().enumerate() {
        let label = if i == 0 {
            "     Listen:"
        } else {
            "            "
        };
        out.push_str(&format!(
            "{label} {} ({})\n",
            l.address_text(),
            l.kind.type_name()
        ));
    }
    if config.accept {
        let r = record(scope, unit);
        out.push_str(&format!(
            "   Accepted: {}; Connected: {};",
            r.n_accepted, r.n_connections
        ));
        if r.n_refused > 0 {
            out.push_str(&format!(" Refused: {}", r.n_refused));
        }
        out.push('\n');
    }
    out
}

fn octal(mode: u32) -> String {
    format!("{mode:04o}")
}

/// The `org.freedesktop.systemd1.Socket` properties, before the Unit interface.
pub fn socket_props(view: &UnitView, p: &mut Props) {
    let scope = view.store.scope();
    let (c, _) = SocketConfig::from_unit(view.unit, scope);
    let r = record(scope, view.unit);
    let int = |v: i32| v.to_string();
    p.text("BindIPv6Only", c.bind_ipv6_only.as_str());
    p.text("Backlog", c.backlog.to_string());
    p.text("TimeoutUSec", format_timespan(c.timeout, 0));
    p.text("SocketMode", octal(c.socket_mode));
    p.text("DirectoryMode", octal(c.directory_mode));
    p.yes_no("Accept", c.accept);
    p.yes_no("FlushPending", false);
    p.yes_no("Writable", c.writable);
    p.yes_no("KeepAlive", c.keep_alive);
    p.text("KeepAliveTimeUSec", format_timespan(c.keep_alive_time, 0));
    p.text(
        "KeepAliveIntervalUSec",
        format_timespan(c.keep_alive_interval, 0),
    );
    p.text("KeepAliveProbes", c.keep_alive_probes.to_string());
    p.text("DeferAcceptUSec", "0");
    p.yes_no("NoDelay", c.no_delay);
    p.text("Priority", int(c.priority));
    p.text("ReceiveBuffer", c.receive_buffer.to_string());
    p.text("SendBuffer", c.send_buffer.to_string());
    p.text("IPTOS", int(c.ip_tos));
    p.text("IPTTL", int(c.ip_ttl));
    p.text("PipeSize", "0");
    p.yes_no("FreeBind", c.free_bind);
    p.yes_no("Transparent", c.transparent);
    p.yes_no("Broadcast", c.broadcast);
    p.yes_no("PassCredentials", c.pass_credentials);
    p.yes_no("PassSecurity", c.pass_security);
    p.yes_no("PassPacketInfo", c.pass_packet_info);
    p.text("Timestamping", "off");
    p.yes_no("RemoveOnStop", c.remove_on_stop);
    p.lines(
        "Listen",
        c.listens
            .iter()
            .map(|l| format!("{} ({})", l.address_text(), l.kind.type_name()))
            .collect(),
    );
    p.text("Mark", int(c.mark));
    p.text("MaxConnections", c.max_connections.to_string());
    p.text(
        "MaxConnectionsPerSource",
        c.max_connections_per_source.to_string(),
    );
    p.text("MessageQueueMaxMessages", "0");
    p.text("MessageQueueMessageSize", "0");
    p.yes_no("ReusePort", c.reuse_port);
    p.text("ControlPID", "0");
    p.text("Result", view.runtime.result.clone());
    p.text("NConnections", r.n_connections.to_string());
    p.text("NAccepted", r.n_accepted.to_string());
    p.text("NRefused", r.n_refused.to_string());
    p.text("FileDescriptorName", c.fd_name.clone());
    p.text("SocketProtocol", "0");
    p.text(
        "TriggerLimitIntervalUSec",
        format_timespan(c.trigger_limit_interval, 0),
    );
    p.text("TriggerLimitBurst", c.trigger_burst().to_string());
}

/// Every unit file plus the units with a state file (instances, transient units).
pub fn runtime_universe(store: &unitbox_core::unit::UnitStore) -> Universe {
    let extra: Vec<UnitName> = StateDir::existing(store.scope())
        .ok()
        .flatten()
        .map(|dir| dir.units_with_state())
        .unwrap_or_default()
        .iter()
        .filter_map(|n| UnitName::parse(n).ok())
        .collect();
    Universe::load(store, &extra)
}

/// The loaded units of `unit_type` that `list-timers`/`list-sockets` show: matching the
/// patterns, and active unless `--all`.
pub fn listed_of_type<'a>(ctx: &Ctx, universe: &'a Universe, unit_type: &str) -> Vec<&'a Unit> {
    let scope = ctx.store().scope().clone();
    let args = &ctx.opts.args;
    universe
        .units()
        .filter(|u| u.id.unit_type() == unit_type && u.is_loaded())
        .filter(|u| args.is_empty() || args.iter().any(|p| unit_name_matches(p, u.id.as_str())))
        .filter(|u| ctx.opts.all || RuntimeState::of(&scope, u).is_listed_by_default())
        .collect()
}

struct Row {
    listen: String,
    kind: &'static str,
    id: String,
    activates: String,
}

/// `systemctl list-sockets [--all] [--show-types] [PATTERN…]`.
pub fn list_sockets(ctx: &Ctx) -> CtlResult {
    let store = ctx.store();
    let scope = store.scope();
    let universe = runtime_universe(store);
    let mut rows = Vec::new();
    for unit in listed_of_type(ctx, &universe, "socket") {
        let id = unit.id.as_str();
        let activates = universe.deps(id, Dep::Triggers).join(", ");
        let (config, _) = SocketConfig::from_unit(unit, scope);
        for l in &config.listens {
            rows.push(Row {
                listen: l.address_text(),
                kind: l.kind.type_name(),
                id: id.to_string(),
                activates: if activates.is_empty() {
                    "-".to_string()
                } else {
                    activates.clone()
                },
            });
        }
    }
    rows.sort_by(|a, b| (&a.listen, a.kind).cmp(&(&b.listen, b.kind)));
    print!("{}", render(ctx, &rows));
    Ok(ExitStatus::SUCCESS)
}

fn render(ctx: &Ctx, rows: &[Row]) -> String {
    let legend = !ctx.opts.no_legend;
    let types = ctx.opts.show_types;
    let mut table: Vec<Vec<String>> = Vec::new();
    if legend {
        let mut header = vec!["LISTEN"];
        if types {
            header.push("TYPE");
        }
        header.extend(["UNIT", "ACTIVATES"]);
        table.push(header.into_iter().map(String::from).collect());
    }
    for row in rows {
        let mut cells = vec![row.listen.clone()];
        if types {
            cells.push(row.kind.to_string());
        }
        cells.extend([row.id.clone(), row.activates.clone()]);
        table.push(cells);
    }
    let mut out = String::new();
    for line in columns(&table) {
        out.push_str(&line);
        out.push('\n');
    }
    if legend {
        out.push_str(&format!("\n{} sockets listed.\n", rows.len()));
        if !ctx.opts.all {
            out.push_str("Pass --all to see loaded but inactive sockets, too.\n");
        }
    }
    out
}
