//! Running the generators as 252's `manager_run_generators()`: the output directories are
//! emptied, every generator is started at once (`EXEC_DIR_PARALLEL`) with
//! `argv = [path, normal, early, late]`, stdin `/dev/null`, stdout to our stderr (a
//! container's console under PID 1), and one deadline for all of them. A generator that
//! fails, is killed or misses the deadline is logged and skipped; the units the others
//! wrote are used. Output directories left empty are removed again.

use super::Generator;
use crate::exec::environment::EnvBlock;
use crate::exec::spawn::{spawn, ChildStdio, ExitStatus, ProcessSpec};
use crate::scope::Scope;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Runs `generators` with the logical output directories `outputs` ([normal, early,
/// late]); returns how many failed.
pub fn run(
    scope: &Scope,
    generators: &[Generator],
    outputs: &[PathBuf; 3],
    env: &EnvBlock,
    timeout: Duration,
    log: &dyn Fn(&str),
) -> usize {
    let root = &scope.root;
    let hosts: Vec<PathBuf> = outputs.iter().map(|d| root.host_path(d)).collect();
    for dir in &hosts {
        let _ = std::fs::remove_dir_all(dir);
        if let Err(e) = std::fs::create_dir_all(dir) {
            log(&format!(
                "Failed to create generator directory {}: {e}",
                dir.display()
            ));
            return generators.len();
        }
    }
    let mut failed = 0;
    let mut running: Vec<(i32, &Generator)> = Vec::new();
    for generator in generators {
        if generator.builtin {
            continue;
        }
        let exe = root.host_path(&generator.path);
        let mut argv = vec![exe.to_string_lossy().into_owned()];
        argv.extend(hosts.iter().map(|d| d.to_string_lossy().into_owned()));
        let mut spec = ProcessSpec::new(exe, argv, env.clone());
        spec.set_exec_pid = true;
        spec.stdout = ChildStdio::Fd(2);
        match spawn(&spec).map(|s| (s.pid, s.wait_exec())) {
            Ok((pid, Ok(()))) => running.push((pid, generator)),
            Ok((pid, Err(e))) => {
                let _ = crate::exec::spawn::wait_for(pid);
                log(&format!(
                    "Failed to execute {}: {}",
                    generator.path.display(),
                    crate::error::os_error_text(&std::io::Error::from_raw_os_error(e.errno))
                ));
                failed += 1;
            }
            Err(e) => {
                log(&format!("Failed to fork {}: {e}", generator.path.display()));
                failed += 1;
            }
        }
    }
    if generators.iter().any(|g| g.builtin) {
        if let Err(e) = super::sysv::generate(scope, &outputs[2], log) {
            log(&format!("{} failed: {e}", super::sysv::BUILTIN_NAME));
            failed += 1;
        }
    }
    failed += wait_all(running, Instant::now() + timeout, log);
    for dir in &hosts {
        // Only succeeds when empty: 252's lookup_paths_trim_generator().
        let _ = std::fs::remove_dir(dir);
    }
    failed
}

/// Waits for the started generators until `deadline`; kills the rest. Returns how many
/// failed.
fn wait_all(mut running: Vec<(i32, &Generator)>, deadline: Instant, log: &dyn Fn(&str)) -> usize {
    let mut failed = 0;
    let mut pause = Duration::from_millis(1);
    while !running.is_empty() {
        running.retain(
            |(pid, generator)| match crate::sys::waitpid(*pid, libc::WNOHANG) {
                Ok(None) => true,
                Ok(Some((_, status))) => {
                    if let Some(line) =
                        describe_end(generator, ExitStatus::from_wait_status(status))
                    {
                        log(&line);
                        failed += 1;
                    }
                    false
                }
                Err(_) => false,
            },
        );
        if running.is_empty() {
            break;
        }
        if Instant::now() >= deadline {
            for (pid, generator) in &running {
                log(&format!("{} timed out, killing.", generator.path.display()));
                // The generator leads its own process group: take its children along.
                let _ = crate::sys::kill(-*pid, libc::SIGKILL);
                let _ = crate::exec::spawn::wait_for(*pid);
                failed += 1;
            }
            break;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
    failed
}

/// 252's words for a generator that did not succeed (`wait_for_terminate_and_check()`).
fn describe_end(generator: &Generator, status: ExitStatus) -> Option<String> {
    let path = generator.path.display();
    match status {
        ExitStatus::Exited(0) => None,
        ExitStatus::Exited(code) => Some(format!("{path} failed with exit status {code}.")),
        ExitStatus::Killed(sig) | ExitStatus::Dumped(sig) => Some(format!(
            "{path} terminated by signal {}.",
            crate::exec::exit_status::signal_name(sig)
        )),
    }
}
