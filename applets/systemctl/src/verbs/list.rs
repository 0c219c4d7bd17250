//! `list-units`: the loaded units (see [`crate::units`] for what "loaded" means without a
//! daemon) with their load and activation state, as systemd 252's table or as JSON.
//! Without `--all` only units that are not inactive are listed, so until a supervisor
//! records runtime state the default listing is empty (with systemd's footer).

use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult, ExitStatus};
use crate::output::{columns, ellipsize, terminal_width};
use crate::units::{self, Universe};
use crate::verbs::show::runtime::RuntimeState;
use unitbox_core::glob::unit_name_matches;
use unitbox_core::journal::format::OUTPUT_MODE_NAMES;
use unitbox_core::json::Json;
use unitbox_core::state::StateDir;
use unitbox_core::unit::UnitName;

/// How a verb's table should come out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableOutput {
    Text,
    Json,
    JsonPretty,
}

/// Validates `--output=` once for the listing verbs.
pub fn table_output(ctx: &Ctx) -> CtlResult<TableOutput> {
    match ctx.opts.output.as_deref() {
        None => Ok(TableOutput::Text),
        Some(mode) if !OUTPUT_MODE_NAMES.contains(&mode) => {
            Err(CtlError::failure(format!("Unknown output '{mode}'.")))
        }
        Some("json-pretty") => Ok(TableOutput::JsonPretty),
        Some(mode) if mode.starts_with("json") => Ok(TableOutput::Json),
        Some(_) => Ok(TableOutput::Text),
    }
}

struct Row {
    id: String,
    load: &'static str,
    active: String,
    sub: String,
    description: String,
}

impl Row {
    /// systemd marks units that failed to load or failed to run with a bullet.
    fn needs_bullet(&self) -> bool {
        matches!(self.load, "error" | "not-found" | "bad-setting" | "masked")
            || self.active == "failed"
    }
}

/// Units a manager would hold in memory besides those on the search path: the ones that
/// ran in this boot (instances of templates above all), by their state files.
fn units_with_runtime_state(ctx: &Ctx) -> Vec<UnitName> {
    let Ok(Some(dir)) = StateDir::existing(&ctx.scope) else {
        return Vec::new();
    };
    dir.units_with_state()
        .iter()
        .filter_map(|name| UnitName::parse(name).ok())
        .collect()
}

pub fn list_units(ctx: &Ctx) -> CtlResult {
    let output = table_output(ctx)?;
    let opts = &ctx.opts;
    let mut states = opts.states.clone();
    if opts.failed && !states.iter().any(|s| s == "failed") {
        states.push("failed".into());
    }
    let store = ctx.store();
    let universe = Universe::load(store, &units_with_runtime_state(ctx));
    let mut rows: Vec<Row> = Vec::new();
    for unit in universe.units() {
        let id = unit.id.as_str();
        if !opts.args.is_empty() && !opts.args.iter().any(|p| unit_name_matches(p, id)) {
            continue;
        }
        if !opts.types.is_empty() && !opts.types.iter().any(|t| t == unit.id.unit_type()) {
            continue;
        }
        let rt = RuntimeState::of(store.scope(), unit);
        let load = unit.load_state.as_str();
        if !states.is_empty()
            && !states
                .iter()
                .any(|s| s == load || *s == rt.active_state || *s == rt.sub_state)
        {
            continue;
        }
        if !opts.all && states.is_empty() && !rt.is_listed_by_default() {
            continue;
        }
        rows.push(Row {
            id: id.to_string(),
            load,
            active: rt.active_state.clone(),
            sub: rt.sub_state.clone(),
            description: units::description(unit, store.scope()),
        });
    }
    rows.sort_by_key(|r| {
        let suffix = r.id.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
        (suffix, r.id.to_ascii_lowercase())
    });
    let text = match output {
        TableOutput::Text => render_table(ctx, &rows, &states),
        TableOutput::Json | TableOutput::JsonPretty => {
            let json = Json::Array(rows.iter().map(row_json).collect());
            let mut s = if output == TableOutput::Json {
                json.to_compact()
            } else {
                json.to_pretty()
            };
            s.push('\n');
            s
        }
    };
    print!("{text}");
    Ok(ExitStatus::SUCCESS)
}

fn row_json(row: &Row) -> Json {
    Json::Object(vec![
        ("unit".into(), Json::String(row.id.clone())),
        ("load".into(), Json::String(row.load.into())),
        ("active".into(), Json::String(row.active.clone())),
        ("sub".into(), Json::String(row.sub.clone())),
        ("description".into(), Json::String(row.description.clone())),
    ])
}

fn render_table(ctx: &Ctx, rows: &[Row], states: &[String]) -> String {
    let opts = &ctx.opts;
    let legend = !opts.no_legend;
    let mut table: Vec<Vec<String>> = Vec::new();
    let with_bullets = !opts.plain;
    let mut push = |bullet: &str, cells: [&str; 5]| {
        let mut line: Vec<String> = Vec::with_capacity(6);
        if with_bullets {
            line.push(bullet.to_string());
        }
        line.extend(cells.iter().map(|c| c.to_string()));
        table.push(line);
    };
    if legend {
        // The bullet column is one glyph wide even when no row has a bullet.
        push(" ", ["UNIT", "LOAD", "ACTIVE", "SUB", "DESCRIPTION"]);
    }
    for row in rows {
        let bullet = if row.needs_bullet() { "●" } else { " " };
        push(
            bullet,
            [&row.id, row.load, &row.active, &row.sub, &row.description],
        );
    }
    let width = (!opts.full).then(terminal_width).flatten();
    let mut out = String::new();
    for line in columns(&table) {
        let line = match width {
            Some(w) => ellipsize(&line, w),
            None => line,
        };
        out.push_str(&line);
        out.push('\n');
    }
    if legend {
        let records = rows.len();
        if records > 0 {
            out.push_str(
                "\nLOAD   = Reflects whether the unit definition was properly loaded.\n\
                 ACTIVE = The high-level unit activation state, i.e. generalization of SUB.\n\
                 SUB    = The low-level unit activation state, values depend on unit type.\n",
            );
        }
        let hint = "To show all installed unit files use 'systemctl list-unit-files'.";
        if opts.all || states.iter().any(|s| s == "inactive") {
            out.push_str(&format!("{records} loaded units listed.\n{hint}\n"));
        } else if states.is_empty() {
            out.push_str(&format!(
                "{records} loaded units listed. Pass --all to see loaded but inactive units, too.\n{hint}\n"
            ));
        } else {
            out.push_str(&format!("{records} loaded units listed.\n"));
        }
    }
    out
}
