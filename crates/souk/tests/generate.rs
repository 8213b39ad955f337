//! `souk new` as a user runs it: against a real relay seeding the demo registry, into real
//! folders; the projects it writes build and pass their own tests.
#![cfg(unix)]

use std::path::Path;
use std::process::Command;

mod common;
use common::manifest_dir;
use common::relay::{Relay, souk};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every file under `dir`, relative, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    files.sort();
    files
}

/// A target folder for the generated projects' builds that outlives one run, as the
/// workspace's does, so CI compiles their dependencies once.
fn generated_target() -> std::path::PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => Path::new(&dir).join("generated"),
        None => manifest_dir().join("../../target/generated"),
    }
}

#[test]
fn souk_new_generates_projects_that_build_and_pass_their_own_tests() {
    let scratch = tempfile::tempdir().unwrap();
    let relay = Relay::start(&scratch.path().join("relay"), None, &[]);
    let bootstrap = format!("--bootstrap={}/bootstrap", relay.http);
    let home = scratch.path().join("home");

    let project = scratch.path().join("hello-cli");
    let args =
        ["new", "rust-cli", project.to_str().unwrap(), "--defaults", "--set", "description=Says hello"];
    let out = souk(&home, &[&args[..], &[&bootstrap, "--json"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Generated rust-cli v1.0.0 (with 6 more packs)"), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["pack"], "rust-cli");
    let files = listing(&project);
    for expected in [
        ".editorconfig",
        ".github/workflows/ci.yml",
        ".gitignore",
        ".souk/answers.toml",
        "Cargo.toml",
        "LICENSE-MIT",
        "src/main.rs",
        "tests/cli.rs",
    ] {
        assert!(files.iter().any(|f| f == expected), "{expected} missing from {files:?}");
    }
    let cargo_toml = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
    assert!(
        cargo_toml.contains("name = \"hello-cli\"") && cargo_toml.contains("description = \"Says hello\"")
    );
    let workflow = std::fs::read_to_string(project.join(".github/workflows/ci.yml")).unwrap();
    assert!(workflow.contains("${{ matrix.os }}"), "{workflow}");
    let record: toml::Table =
        toml::from_str(&std::fs::read_to_string(project.join(".souk/answers.toml")).unwrap()).unwrap();
    assert_eq!(record["packs"]["rust-cli"].as_str(), Some("1.0.0"));
    assert_eq!(record["answers"]["description"].as_str(), Some("Says hello"));
    assert_eq!(
        record["files"].as_table().unwrap().len(),
        files.len() - 2,
        "every file but the record and the lockfile"
    );

    // The project is a working crate: it builds and its integration test passes.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let test = Command::new(&cargo)
        .args(["test", "--quiet"])
        .current_dir(&project)
        .env("CARGO_TARGET_DIR", generated_target())
        .output()
        .unwrap();
    assert!(test.status.success(), "cargo test in the generated project: {}", stderr(&test));

    // python-package passes its own tests with Python's own runner.
    let python = scratch.path().join("hello-py");
    let out = souk(&home, &["new", "python-package", python.to_str().unwrap(), "--defaults", &bootstrap]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(python.join("src/hello_py/__init__.py").is_file(), "{:?}", listing(&python));
    let test = Command::new("python3")
        .args(["-m", "unittest", "discover", "-s", "tests"])
        .current_dir(&python)
        .env("PYTHONPATH", python.join("src"))
        .output()
        .unwrap();
    assert!(test.status.success(), "python3 -m unittest: {}", stderr(&test));
    relay.stop();
}

#[test]
fn souk_new_refuses_bad_answers_and_busy_folders_and_writes_nothing() {
    let scratch = tempfile::tempdir().unwrap();
    let relay = Relay::start(&scratch.path().join("relay"), None, &[]);
    let bootstrap = format!("--bootstrap={}/bootstrap", relay.http);
    let home = scratch.path().join("home");
    let project = scratch.path().join("p");

    let out = souk(
        &home,
        &[
            "new",
            "rust-lib",
            project.to_str().unwrap(),
            "--set",
            "colour=red",
            "--set",
            "description=a \"quote\"",
            &bootstrap,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("colour: no pack asks for it"), "{err}");
    assert!(err.contains("description: must match"), "{err}");
    assert!(!project.exists(), "a refused project left {:?}", listing(scratch.path()));

    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join("mine.txt"), "keep me").unwrap();
    let out = souk(&home, &["new", "rust-lib", project.to_str().unwrap(), "--defaults", &bootstrap]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is not empty; pass --force"), "{}", stderr(&out));
    assert_eq!(listing(&project), ["mine.txt"]);
    let out =
        souk(&home, &["new", "rust-lib", project.to_str().unwrap(), "--defaults", "--force", &bootstrap]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(listing(&project).contains(&"mine.txt".to_string()) && project.join("src/lib.rs").is_file());
    relay.stop();
}

/// A pack folder `greeter` at `version`, its `greet.txt` as given and, from 1.1.0 on, a
/// question more.
fn greeter(dir: &Path, version: &str, greet: &str) -> std::path::PathBuf {
    let pack = dir.join(format!("greeter-{version}"));
    std::fs::create_dir_all(&pack).unwrap();
    let mut manifest = format!(
        "[pack]\nname = \"greeter\"\nversion = \"{version}\"\ndescription = \"Greets\"\nlicense = \"MIT\"\n"
    );
    if version != "1.0.0" {
        manifest.push_str("\n[[variables]]\nname = \"greeting\"\ndefault = \"Hi\"\n");
    }
    std::fs::write(pack.join("souk.toml"), manifest).unwrap();
    std::fs::write(pack.join("greet.txt"), greet).unwrap();
    pack
}

#[test]
fn souk_update_keeps_the_users_edits_and_marks_what_overlaps() {
    let scratch = tempfile::tempdir().unwrap();
    let relay = Relay::start(&scratch.path().join("relay"), None, &[]);
    let bootstrap = format!("--bootstrap={}/bootstrap", relay.http);
    let home = scratch.path().join("home");
    let run = |args: &[&str]| souk(&home, &[args, &[bootstrap.as_str()]].concat());
    let publish = |version: &str, greet: &str| {
        let out = run(&["publish", greeter(scratch.path(), version, greet).to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    publish("1.0.0", "Hello from {{ name }}\nline two\nline three\nline four\nline five\n");
    let project = scratch.path().join("hello");
    let dir = project.to_str().unwrap();
    let out = run(&["new", "greeter@1.0.0", dir, "--defaults"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let greet = project.join("greet.txt");
    assert_eq!(
        std::fs::read_to_string(&greet).unwrap(),
        "Hello from hello\nline two\nline three\nline four\nline five\n"
    );

    // The user edits the first line; the template changes the last and asks a new question.
    std::fs::write(&greet, "Hello from hello, edited\nline two\nline three\nline four\nline five\n").unwrap();
    publish("1.1.0", "Hello from {{ name }}\nline two\nline three\nline four\n{{ greeting }}, line five\n");
    let out = run(&["update", "--dir", dir, "--defaults"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Updated greeter v1.0.0 to v1.1.0: 1 files changed"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&greet).unwrap(),
        "Hello from hello, edited\nline two\nline three\nline four\nHi, line five\n"
    );
    let record = std::fs::read_to_string(project.join(".souk/answers.toml")).unwrap();
    assert!(record.contains("greeting = \"Hi\"") && record.contains("greeter = \"1.1.0\""), "{record}");

    // Both change the last line: markers, a list, exit code 1, and the user's text kept.
    std::fs::write(&greet, "Hello from hello, edited\nline two\nline three\nline four\nmine, line five\n")
        .unwrap();
    publish("1.2.0", "Hello from {{ name }}\nline two\nline three\nline four\n{{ greeting }}, last line\n");
    let out = run(&["update", "--dir", dir, "--defaults"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("Conflict greet.txt"), "{}", stderr(&out));
    let marked = std::fs::read_to_string(&greet).unwrap();
    assert!(marked.contains("<<<<<<< ours\nmine, line five\n"), "{marked}");
    assert!(marked.contains("Hi, last line\n>>>>>>> theirs\n"), "{marked}");
    assert!(marked.starts_with("Hello from hello, edited\n"), "{marked}");
    relay.stop();
}
