//! Task runner behind the README's commands (`cargo xtask <task>`).
//!
//! Each task first installs what the machine lacks, skipping every tool
//! that is already at the right version, so a warm run costs nothing:
//! the wasm32 target, Trunk, wasm-bindgen-cli, wasm-opt (npm's binaryen),
//! and for tests Debian's Chromium and ChromeDriver.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const TRUNK_VERSION: &str = "0.21.14";
/// Must equal the `wasm-bindgen` version pinned in the root Cargo.toml.
const WASM_BINDGEN_VERSION: &str = "0.2.130";

const USAGE: &str = "\
Usage: cargo xtask <TASK> [ARGS...]

Tasks:
  setup    Install what is missing: the wasm32 target, Trunk, wasm-bindgen-cli
           and wasm-opt; with --browser also Chromium and ChromeDriver
  build    setup, then build the console (trunk build --release) and the
           headroom server in release mode
  start    build, then run `headroom serve` on http://127.0.0.1:8080 with the
           embedded defaults; ARGS are passed to `headroom serve`
           (see `cargo xtask start --help`)
  test     setup --browser, build the console, then run every test of the
           workspace, the browser end-to-end tests included; ARGS are passed
           to `cargo test`
  bench    setup, build, then run the benchmarks in benches/ and print figures
";

fn main() -> ExitCode {
    let mut args = env::args().skip(1);
    let task = args.next().unwrap_or_default();
    // `cargo xtask start -- --help` passes the `--` through; drop it.
    let rest: Vec<String> = args.skip_while(|arg| arg == "--").collect();
    let result = match task.as_str() {
        "setup" => setup(rest.iter().any(|arg| arg == "--browser")),
        "build" => setup(false).and_then(|()| build_console()).and_then(|()| build_server()),
        "start" => setup(false)
            .and_then(|()| build_console())
            .and_then(|()| build_server())
            .and_then(|()| start(&rest)),
        "test" => setup(true).and_then(|()| build_console()).and_then(|()| test(&rest)),
        "bench" => setup(false)
            .and_then(|()| build_console())
            .and_then(|()| build_server())
            .and_then(|()| bench(&rest)),
        "" | "help" | "--help" | "-h" => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => Err(format!("unknown task `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

fn cargo_home_bin() -> PathBuf {
    env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
}

/// PATH with npm's binaryen and cargo's install directory first, so Trunk
/// finds the right wasm-opt and wasm-bindgen.
fn tool_path() -> OsString {
    let mut paths = vec![root().join("node_modules/.bin"), cargo_home_bin()];
    if let Some(path) = env::var_os("PATH") {
        paths.extend(env::split_paths(&path));
    }
    env::join_paths(paths).unwrap_or_default()
}

fn command(program: &str) -> Command {
    let mut command = Command::new(program);
    command.env("PATH", tool_path()).current_dir(root());
    command
}

fn run(mut command: Command) -> Result<(), String> {
    let description = format!("{command:?}");
    eprintln!("xtask: running {description}");
    let status = command
        .status()
        .map_err(|error| format!("cannot run {description}: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{description} failed with {status}"))
    }
}

/// Returns the first line a tool prints for `--version`, or `None` when it
/// cannot run.
fn version_of(program: &str) -> Option<String> {
    let output = command(program).arg("--version").output().ok()?;
    output.status.success().then(|| {
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned()
    })
}

fn setup(browser: bool) -> Result<(), String> {
    if browser {
        let missing: Vec<&str> = [("chromium", "chromium"), ("chromedriver", "chromium-driver")]
            .into_iter()
            .filter(|(program, _)| version_of(program).is_none())
            .map(|(_, package)| package)
            .collect();
        apt_install(&missing)?;
    }
    if version_of("npm").is_none() {
        apt_install(&["nodejs", "npm"])?;
    }
    // The bundled SQLite of rusqlite is C, compiled by the `cc` crate.
    if version_of("cc").is_none() {
        apt_install(&["gcc", "libc6-dev"])?;
    }

    let targets = command("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|error| format!("cannot run rustup, which installs the wasm32 target: {error}"))?;
    if !String::from_utf8_lossy(&targets.stdout).contains("wasm32-unknown-unknown") {
        let mut rustup = command("rustup");
        rustup.args(["target", "add", "wasm32-unknown-unknown"]);
        run(rustup)?;
    }

    if !version_of("trunk").is_some_and(|version| version.ends_with(TRUNK_VERSION)) {
        let mut install = command("cargo");
        install.args(["install", "--locked", "trunk", "--version", TRUNK_VERSION]);
        run(install)?;
    }

    if !version_of("wasm-bindgen").is_some_and(|version| version.ends_with(WASM_BINDGEN_VERSION)) {
        // Not --locked: the lock file of wasm-bindgen-cli 0.2.130 pins a
        // crate version that crates.io no longer serves.
        let mut install = command("cargo");
        install.args(["install", "wasm-bindgen-cli", "--version", WASM_BINDGEN_VERSION]);
        run(install)?;
    }

    if !root().join("node_modules/.bin/wasm-opt").is_file() {
        let mut npm = command("npm");
        npm.args(["ci", "--no-audit", "--no-fund"]);
        run(npm)?;
    }
    Ok(())
}

fn apt_install(packages: &[&str]) -> Result<(), String> {
    if packages.is_empty() {
        return Ok(());
    }
    let as_root = command("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0");
    let apt = |args: &[&str]| {
        let mut apt = if as_root {
            command("apt-get")
        } else {
            let mut sudo = command("sudo");
            sudo.arg("apt-get");
            sudo
        };
        apt.env("DEBIAN_FRONTEND", "noninteractive").args(args);
        apt
    };
    run(apt(&["update", "-qq"]))?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend_from_slice(packages);
    run(apt(&install))
}

fn build_console() -> Result<(), String> {
    let mut trunk = command("trunk");
    trunk.args(["build", "--release"]);
    run(trunk)?;
    precompress(&root().join("dist"))
}

/// Writes a Brotli (`.br`, quality 11) and a gzip (`.gz`, level 9) copy
/// next to every text and wasm file of the built console. The server sends
/// the smallest encoding the browser accepts.
fn precompress(directory: &Path) -> Result<(), String> {
    let entries = std::fs::read_dir(directory)
        .map_err(|error| format!("cannot read {}: {error}", directory.display()))?;
    for entry in entries {
        let path = entry.map_err(|error| format!("cannot read {}: {error}", directory.display()))?.path();
        if path.is_dir() {
            precompress(&path)?;
            continue;
        }
        let compressible = path
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| ["html", "js", "wasm", "css", "svg"].contains(&extension));
        if !compressible {
            continue;
        }
        let content = std::fs::read(&path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;

        let mut brotli_bytes = Vec::new();
        let parameters = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 24,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut content.as_slice(), &mut brotli_bytes, &parameters)
            .map_err(|error| format!("cannot compress {}: {error}", path.display()))?;
        write_beside(&path, "br", &brotli_bytes)?;

        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gzip, &content)
            .and_then(|()| gzip.finish())
            .map_err(|error| format!("cannot compress {}: {error}", path.display()))
            .and_then(|bytes| write_beside(&path, "gz", &bytes))?;
    }
    Ok(())
}

fn write_beside(path: &Path, extension: &str, bytes: &[u8]) -> Result<(), String> {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(extension);
    std::fs::write(&name, bytes).map_err(|error| format!("cannot write {}: {error}", Path::new(&name).display()))
}

fn build_server() -> Result<(), String> {
    let mut cargo = command("cargo");
    cargo.args(["build", "--release", "--package", "headroom-server"]);
    run(cargo)
}

/// Returns cargo's target directory: `CARGO_TARGET_DIR` when set, else `target/`.
fn target_dir() -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(directory) => root().join(directory),
        None => root().join("target"),
    }
}

fn start(args: &[String]) -> Result<(), String> {
    let mut serve = command(&target_dir().join("release/headroom").to_string_lossy());
    serve.arg("serve").args(args);
    run(serve)
}

/// Runs the workspace's tests, streaming their output, and ends with one
/// line that adds up every test binary's `test result:` line, so the total
/// is the last thing printed rather than the count of the last doc-test run.
fn test(args: &[String]) -> Result<(), String> {
    let mut cargo = command("cargo");
    cargo
        .args(["test", "--workspace"])
        .args(args)
        .stdout(std::process::Stdio::piped());
    eprintln!("xtask: running {cargo:?}");
    let mut child = cargo.spawn().map_err(|error| format!("cannot run cargo test: {error}"))?;
    let stdout = child.stdout.take().ok_or("cargo test has no standard output")?;

    let mut totals = [0u64; 3];
    for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
        let line = line.map_err(|error| format!("cannot read the output of cargo test: {error}"))?;
        println!("{line}");
        if let Some(counts) = line.strip_prefix("test result: ") {
            for (index, word) in ["passed", "failed", "ignored"].iter().enumerate() {
                totals[index] += count_before(counts, word);
            }
        }
    }
    let status = child.wait().map_err(|error| format!("cargo test did not finish: {error}"))?;

    let [passed, failed, ignored] = totals;
    println!("tests: {passed} passed, {failed} failed, {ignored} skipped");
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo test failed with {status}"))
    }
}

/// Returns N from "N word" in a line such as `ok. 9 passed; 0 failed; ...`.
fn count_before(counts: &str, word: &str) -> u64 {
    counts
        .split([';', '.'])
        .filter_map(|part| part.trim().strip_suffix(word))
        .filter_map(|number| number.trim().parse::<u64>().ok())
        .sum()
}

fn bench(args: &[String]) -> Result<(), String> {
    let mut script = command("bash");
    script.arg(root().join("benches/run.sh")).args(args);
    run(script)
}

#[cfg(test)]
mod tests {
    use super::count_before;

    #[test]
    fn count_before_reads_result_line() {
        let line = "ok. 9 passed; 1 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.00s";
        assert_eq!(count_before(line, "passed"), 9);
        assert_eq!(count_before(line, "failed"), 1);
        assert_eq!(count_before(line, "ignored"), 2);
    }
}
