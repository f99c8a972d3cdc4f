//! The `headroom` binary's command line, run as a process.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn headroom() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_headroom"));
    command.env_remove("HEADROOM_DATA_DIR").env("HEADROOM_LOG", "info");
    command
}

fn run(args: &[&str]) -> (bool, String, String) {
    let output = headroom().args(args).output().expect("headroom runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn account_commands_need_existing_database() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("typo");
    let data_dir = data_dir.to_str().unwrap();
    let expected = format!(
        "error: no Headroom database at {data_dir}/headroom.db: pass the --data-dir of the server, or start `headroom serve --data-dir {data_dir}` once to create it\n"
    );
    let cases: &[&[&str]] = &[
        &["service-account", "create", "--data-dir", data_dir, "--name", "bot", "--role", "viewer"],
        &["user", "create", "--data-dir", data_dir, "--name", "alice", "--role", "viewer"],
        &["user", "reset-password", "--data-dir", data_dir, "--name", "admin"],
    ];
    for args in cases {
        let (success, stdout, stderr) = run(args);
        assert!(!success, "{args:?}");
        assert_eq!(stdout, "", "{args:?}");
        assert_eq!(stderr, expected, "{args:?}");
    }
    assert!(!dir.path().join("typo").exists(), "nothing was created");
}

#[test]
fn flag_values_rejected_with_reason() {
    let cases: &[(&[&str], &str)] = &[
        (&["serve", "--pod-startup-delay", "2h"], "start-up time \"2h\" is longer than the maximum of 1h"),
        (&["serve", "--max-pods", "0"], "0 is not in 1.."),
        (&["serve", "--time-scale", "0"], "time scale 0 is out of range; use a number from 0.01 to 10000"),
        (&["serve", "--listen", "localhost"], "invalid socket address syntax"),
        (&["service-account", "create", "--name", "bot", "--role", "root"], "unknown role \"root\"; the roles are admin, viewer, consumer"),
    ];
    for (args, message) in cases {
        let (success, _, stderr) = run(args);
        assert!(!success, "{args:?}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

#[test]
fn description_limit_applies_to_cli() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    std::fs::write(dir.path().join("headroom.db"), b"").unwrap();
    let long = "d".repeat(201);
    let (success, _, stderr) = run(&[
        "service-account", "create", "--data-dir", data_dir, "--name", "bot", "--role", "viewer", "--description", &long,
    ]);
    assert!(!success);
    assert_eq!(stderr, "error: --description must be at most 200 characters, got 201\n");
}

#[test]
fn every_serve_flag_has_help() {
    let (success, stdout, _) = run(&["serve", "--help"]);
    assert!(success);
    for line in stdout.lines().filter(|line| line.trim_start().starts_with("--")) {
        let help = line.trim_start().splitn(2, "  ").nth(1).unwrap_or("").trim();
        assert!(!help.is_empty(), "no help for {line}");
    }
}

/// Starts `headroom serve` and returns it once it listens.
fn start_server(data_dir: &str) -> std::process::Child {
    let mut child = headroom()
        .args(["serve", "--data-dir", data_dir, "--listen", "127.0.0.1:0", "--console-dir", "no-console"])
        .env("HEADROOM_ADMIN_PASSWORD", "admin-password")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("server starts");
    let stderr = child.stderr.take().expect("stderr");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lines = BufReader::new(stderr).lines();
    loop {
        assert!(Instant::now() < deadline, "the server did not start listening");
        match lines.next() {
            Some(Ok(line)) if line.contains("Headroom is listening") => break,
            Some(_) => {}
            None => panic!("the server exited before listening"),
        }
    }
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    child
}

#[test]
fn second_server_on_data_dir_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let mut first = start_server(data_dir);

    let (success, _, stderr) = run(&["serve", "--data-dir", data_dir, "--listen", "127.0.0.1:0"]);
    assert!(!success);
    assert_eq!(
        stderr.lines().last().unwrap_or(""),
        format!("error: the data directory {data_dir} is in use by another `headroom serve`; stop it, or pass another --data-dir")
    );

    // Account commands work beside the running server.
    let (success, stdout, stderr) = run(&["service-account", "create", "--data-dir", data_dir, "--name", "bot", "--role", "consumer"]);
    assert!(success, "{stderr}");
    assert!(stdout.starts_with("hdrm_"), "{stdout}");

    first.kill().expect("server stops");
    first.wait().expect("server exits");
}
