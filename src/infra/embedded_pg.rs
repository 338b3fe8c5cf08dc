//! A private PostgreSQL cluster run from the machine's own binaries, so the
//! server starts with nothing else set up. The cluster lives in the data
//! directory, is reused across starts, is guarded by a lock file against a
//! second server, and dies with the server even if the server is killed.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How the cluster should be run.
#[derive(Clone, Debug)]
pub struct EmbeddedOptions {
    /// Folder holding `postgres/` (the cluster), its log, lock and password.
    pub data_dir: PathBuf,
    /// Trade durability for speed (test clusters only).
    pub ephemeral: bool,
    /// Highest number of client connections.
    pub max_connections: u32,
}

/// Why the embedded cluster could not start. Messages say what to do.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "No PostgreSQL server binaries were found (looked for `initdb` and `postgres` on PATH, \
         in `pg_config --bindir` and under /usr/lib/postgresql/*/bin). Install them, for example \
         `apt-get install postgresql` on Debian or Ubuntu or `brew install postgresql@16` on macOS, \
         or point the server at an existing database by setting DATABASE_URL=postgres://user:pass@host/db."
    )]
    NoBinaries,
    #[error(
        "Another Switchboard server (pid {pid}) is already using the data directory {dir}. \
         Stop it first, or give this one its own SWITCHBOARD_DATA_DIR."
    )]
    Locked { dir: String, pid: String },
    #[error(
        "PostgreSQL refuses to run as root, so the embedded cluster runs as the `postgres` user, \
         which cannot reach {dir}: {reason}. Set SWITCHBOARD_DATA_DIR to a folder every parent of \
         which it can traverse (for example /var/lib/switchboard or /tmp/switchboard), or run the \
         server as a normal user."
    )]
    Unreachable { dir: String, reason: String },
    #[error(
        "PostgreSQL refuses to run as root and there is no `postgres` system user to run the \
         embedded cluster as. Create one (`useradd --system postgres`; installing the Debian \
         `postgresql` package does it), or run the server as a normal user."
    )]
    NoPostgresUser,
    #[error("embedded PostgreSQL: {step} failed: {detail}")]
    Failed { step: String, detail: String },
}

fn failed(step: &str, detail: impl std::fmt::Display) -> EmbeddedError {
    EmbeddedError::Failed {
        step: step.to_string(),
        detail: detail.to_string(),
    }
}

/// A running cluster. Stopping is explicit ([`EmbeddedPostgres::stop`]) and
/// also happens on drop.
pub struct EmbeddedPostgres {
    child: Option<Child>,
    port: u16,
    password: String,
    cluster_dir: PathBuf,
    // Held for the life of the cluster; the OS releases it if we die.
    _lock: File,
}

impl std::fmt::Debug for EmbeddedPostgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedPostgres")
            .field("port", &self.port)
            .field("cluster_dir", &self.cluster_dir)
            .finish()
    }
}

struct RunAs {
    uid: u32,
    gid: u32,
}

impl EmbeddedPostgres {
    /// Starts (creating on first use) the cluster under `opts.data_dir`.
    ///
    /// Call it from a thread that outlives the cluster (the main thread):
    /// the postmaster is told to stop when that thread's process dies.
    pub fn start(opts: &EmbeddedOptions) -> Result<Self, EmbeddedError> {
        let bindir = find_bindir().ok_or(EmbeddedError::NoBinaries)?;
        fs::create_dir_all(&opts.data_dir).map_err(|e| failed("creating the data directory", e))?;
        let data_dir = fs::canonicalize(&opts.data_dir).map_err(|e| failed("resolving the data directory", e))?;
        let lock = take_lock(&data_dir)?;
        let cluster_dir = data_dir.join("postgres");
        let run_as = run_as_user()?;
        if let Some(user) = &run_as {
            check_reachable(&data_dir, user)?;
        }

        let password = load_password(&data_dir)?;
        if !cluster_dir.join("PG_VERSION").exists() {
            init_cluster(&bindir, &data_dir, &cluster_dir, &password, run_as.as_ref())?;
        }
        stop_orphan(&cluster_dir);

        let port = free_port()?;
        let socket_dir = data_dir.join("run");
        fs::create_dir_all(&socket_dir).map_err(|e| failed("creating the socket directory", e))?;
        if let Some(user) = &run_as {
            chown(&socket_dir, user)?;
        }
        // Unix socket paths are limited to 107 bytes; skip the socket when the
        // folder is too deep (clients use the loopback port).
        let socket_setting = if socket_dir.as_os_str().len() < 90 {
            socket_dir.display().to_string()
        } else {
            String::new()
        };
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(data_dir.join("postgres.log"))
            .map_err(|e| failed("opening postgres.log", e))?;
        let log_err = log.try_clone().map_err(|e| failed("opening postgres.log", e))?;

        let mut cmd = Command::new(bindir.join("postgres"));
        cmd.arg("-D")
            .arg(&cluster_dir)
            .arg("-p")
            .arg(port.to_string())
            .arg("-c")
            .arg("listen_addresses=127.0.0.1")
            .arg("-c")
            .arg(format!("unix_socket_directories={socket_setting}"))
            .arg("-c")
            .arg(format!("max_connections={}", opts.max_connections))
            .arg("-c")
            .arg("logging_collector=off");
        if opts.ephemeral {
            for setting in ["fsync=off", "synchronous_commit=off", "full_page_writes=off"] {
                cmd.arg("-c").arg(setting);
            }
        }
        cmd.stdin(Stdio::null()).stdout(log).stderr(log_err);
        // Own process group: a Ctrl-C in the terminal reaches the server,
        // which drains and then stops the cluster, not the cluster directly.
        cmd.process_group(0);
        if let Some(user) = &run_as {
            cmd.uid(user.uid).gid(user.gid);
        }
        // SAFETY: prctl is async-signal-safe; it asks the kernel to send
        // SIGINT (PostgreSQL's fast shutdown) to the postmaster when the
        // spawning thread's process exits, even by SIGKILL.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(|e| failed("starting postgres", e))?;
        let mut pg = EmbeddedPostgres {
            child: Some(child),
            port,
            password,
            cluster_dir,
            _lock: lock,
        };
        pg.wait_ready(&data_dir.join("postgres.log"))?;
        Ok(pg)
    }

    /// The loopback port the cluster listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL for database `db` as the `postgres` superuser.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres:{}@127.0.0.1:{}/{}", self.password, self.port, db)
    }

    /// The process id of the postmaster, if it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn wait_ready(&mut self, log_path: &Path) -> Result<(), EmbeddedError> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let pid_file = self.cluster_dir.join("postmaster.pid");
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    return Err(failed(
                        "starting postgres",
                        format!(
                            "it exited with {status}; the end of {}:\n{}",
                            log_path.display(),
                            tail(log_path, 12)
                        ),
                    ));
                }
            }
            // The eighth line of postmaster.pid becomes "ready" once the
            // server accepts connections.
            if let Ok(text) = fs::read_to_string(&pid_file) {
                if text.lines().nth(7).map(str::trim) == Some("ready") {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                self.stop();
                return Err(failed(
                    "starting postgres",
                    format!("not ready after 60 s; see {}", log_path.display()),
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Fast shutdown: disconnects clients, checkpoints, exits. Idempotent.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = child.id() as libc::pid_t;
        // SAFETY: plain kill(2) on our own child.
        unsafe {
            libc::kill(pid, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
                _ => break,
            }
        }
        // Still up after 30 s: immediate shutdown.
        unsafe {
            libc::kill(pid, libc::SIGQUIT);
        }
        let _ = child.wait();
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The folder holding `initdb` and `postgres`.
pub fn find_bindir() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let initdb = dir.join("initdb");
            if initdb.is_file() {
                // Follow symlinks so initdb finds its share/ files.
                if let Ok(real) = fs::canonicalize(&initdb) {
                    if let Some(parent) = real.parent() {
                        if has_both(parent) {
                            return Some(parent.to_path_buf());
                        }
                    }
                }
            }
        }
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        if out.status.success() {
            let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if has_both(&dir) {
                return Some(dir);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            has_both(&bin).then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, p)| p)
}

fn take_lock(data_dir: &Path) -> Result<File, EmbeddedError> {
    let path = data_dir.join("switchboard.lock");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| failed("opening the lock file", e))?;
    // SAFETY: flock on a file descriptor we own.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        let mut pid = String::new();
        let _ = file.read_to_string(&mut pid);
        return Err(EmbeddedError::Locked {
            dir: data_dir.display().to_string(),
            pid: pid.trim().to_string(),
        });
    }
    let _ = file.set_len(0);
    let _ = file.seek(SeekFrom::Start(0));
    let _ = write!(file, "{}", std::process::id());
    let _ = file.flush();
    Ok(file)
}

fn run_as_user() -> Result<Option<RunAs>, EmbeddedError> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = std::ffi::CString::new("postgres").map_err(|e| failed("looking up postgres", e))?;
    // SAFETY: getpwnam returns a pointer to static storage or null; we copy
    // the two integers out immediately.
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    if pw.is_null() {
        return Err(EmbeddedError::NoPostgresUser);
    }
    let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
    Ok(Some(RunAs { uid, gid }))
}

/// Checks every ancestor of `dir` is traversable by `user`, then hands the
/// data directory's cluster folder to it.
fn check_reachable(dir: &Path, user: &RunAs) -> Result<(), EmbeddedError> {
    for ancestor in dir.ancestors().skip(1) {
        let meta = fs::metadata(ancestor).map_err(|e| failed("inspecting the data directory", e))?;
        let mode = meta.mode();
        let can = if meta.uid() == user.uid {
            mode & 0o100 != 0
        } else if meta.gid() == user.gid {
            mode & 0o010 != 0
        } else {
            mode & 0o001 != 0
        };
        if !can {
            return Err(EmbeddedError::Unreachable {
                dir: dir.display().to_string(),
                reason: format!("{} is mode {:o}", ancestor.display(), mode & 0o777),
            });
        }
    }
    // The data dir itself: postgres needs to enter it.
    let meta = fs::metadata(dir).map_err(|e| failed("inspecting the data directory", e))?;
    if meta.mode() & 0o001 == 0 && meta.uid() != user.uid {
        let mut perms = meta.permissions();
        perms.set_mode((meta.mode() & 0o777) | 0o711);
        fs::set_permissions(dir, perms).map_err(|e| failed("opening the data directory to postgres", e))?;
    }
    Ok(())
}

fn chown(path: &Path, user: &RunAs) -> Result<(), EmbeddedError> {
    std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid)).map_err(|e| failed("changing owner", e))
}

fn load_password(data_dir: &Path) -> Result<String, EmbeddedError> {
    let (secret, _) = super::crypto::load_or_generate_secret(&data_dir.join("postgres.password"), 24)
        .map_err(|e| failed("reading postgres.password", e))?;
    // base64 may hold '/' and '+', awkward in URLs; keep alphanumerics.
    Ok(secret.chars().filter(|c| c.is_ascii_alphanumeric()).collect())
}

fn init_cluster(
    bindir: &Path,
    data_dir: &Path,
    cluster_dir: &Path,
    password: &str,
    run_as: Option<&RunAs>,
) -> Result<(), EmbeddedError> {
    // initdb into a scratch folder, then rename: an interrupted initdb never
    // leaves a half-made cluster behind.
    let scratch = data_dir.join("postgres.init");
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(&scratch).map_err(|e| failed("creating the cluster folder", e))?;
    let pwfile = data_dir.join("postgres.init.pw");
    fs::write(&pwfile, password).map_err(|e| failed("writing the password file", e))?;
    if let Some(user) = run_as {
        chown(&scratch, user)?;
        chown(&pwfile, user)?;
    }
    let mut cmd = Command::new(bindir.join("initdb"));
    cmd.arg("-D")
        .arg(&scratch)
        .arg("-U")
        .arg("postgres")
        .arg("--auth=scram-sha-256")
        .arg(format!("--pwfile={}", pwfile.display()))
        .arg("-E")
        .arg("UTF8")
        .arg("--locale=C")
        .stdin(Stdio::null());
    if let Some(user) = run_as {
        cmd.uid(user.uid).gid(user.gid);
    }
    let out = cmd.output().map_err(|e| failed("running initdb", e));
    let _ = fs::remove_file(&pwfile);
    let out = out?;
    if !out.status.success() {
        let _ = fs::remove_dir_all(&scratch);
        return Err(failed(
            "initdb",
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        ));
    }
    fs::rename(&scratch, cluster_dir).map_err(|e| failed("moving the new cluster in place", e))?;
    Ok(())
}

/// A postmaster left running by a server that died without its lock (we
/// hold the lock now, so nobody else owns it): stop it before starting ours.
fn stop_orphan(cluster_dir: &Path) {
    let Ok(text) = fs::read_to_string(cluster_dir.join("postmaster.pid")) else {
        return;
    };
    let Some(pid) = text.lines().next().and_then(|l| l.trim().parse::<libc::pid_t>().ok()) else {
        return;
    };
    // SAFETY: signal 0 only checks the process exists.
    if pid <= 0 || unsafe { libc::kill(pid, 0) } != 0 {
        return;
    }
    let cmdline = fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    if !cmdline.contains("postgres") {
        return;
    }
    tracing::warn!(pid, "stopping a PostgreSQL left running by an earlier server");
    unsafe {
        libc::kill(pid, libc::SIGINT);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline && unsafe { libc::kill(pid, 0) } == 0 {
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn free_port() -> Result<u16, EmbeddedError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| failed("finding a free port", e))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| failed("finding a free port", e))
}

fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
