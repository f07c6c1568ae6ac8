/**
 * Numbered schema migrations. Each is applied once, in order, inside one transaction together with
 * the bump of `user_version`. A migration is never edited after it lands: add a new one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'datasets and objects',
    sql: `
      CREATE TABLE blobs (
        sha256     TEXT PRIMARY KEY,
        size       INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE datasets (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE dataset_versions (
        id         TEXT PRIMARY KEY,
        dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        number     INTEGER NOT NULL,
        digest     TEXT NOT NULL,
        message    TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        files      INTEGER NOT NULL,
        bytes      INTEGER NOT NULL,
        new_bytes  INTEGER NOT NULL,
        UNIQUE (dataset_id, number)
      );

      CREATE TABLE dataset_files (
        version_id TEXT NOT NULL REFERENCES dataset_versions(id) ON DELETE CASCADE,
        path       TEXT NOT NULL,
        size       INTEGER NOT NULL,
        sha256     TEXT NOT NULL REFERENCES blobs(sha256),
        mode       INTEGER NOT NULL,
        PRIMARY KEY (version_id, path)
      ) WITHOUT ROWID;
      CREATE INDEX dataset_files_sha256 ON dataset_files(sha256);

      -- Digests of files already hashed, so re-adding unchanged files does not re-read them.
      CREATE TABLE stat_cache (
        path      TEXT PRIMARY KEY,
        size      INTEGER NOT NULL,
        mtime_ns  TEXT NOT NULL,
        ino       TEXT NOT NULL,
        sha256    TEXT NOT NULL
      ) WITHOUT ROWID;

      -- Profiles are a pure function of a file's content and format: cached by digest.
      CREATE TABLE table_profiles (
        sha256     TEXT NOT NULL,
        format     TEXT NOT NULL,
        engine     TEXT NOT NULL,
        profile    TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (sha256, format, engine)
      ) WITHOUT ROWID;

      -- Writers that may be staging blobs right now; gc leaves their blobs alone.
      CREATE TABLE write_leases (
        id         TEXT PRIMARY KEY,
        pid        INTEGER NOT NULL,
        started_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'drift reports and presets',
    sql: `
      CREATE TABLE drift_reports (
        id             TEXT PRIMARY KEY,
        created_at     INTEGER NOT NULL,
        reference      TEXT NOT NULL,  -- DriftInputIdentity as JSON
        current        TEXT NOT NULL,
        preset         TEXT,
        options        TEXT NOT NULL,
        dataset_drift  INTEGER NOT NULL,
        share          REAL NOT NULL,
        drifted        INTEGER NOT NULL,
        tested         INTEGER NOT NULL,
        report         TEXT NOT NULL
      );
      CREATE INDEX drift_reports_created ON drift_reports(created_at);

      -- Which datasets a report read, so reports can be listed per dataset.
      CREATE TABLE drift_report_datasets (
        report_id TEXT NOT NULL REFERENCES drift_reports(id) ON DELETE CASCADE,
        dataset   TEXT NOT NULL,
        PRIMARY KEY (report_id, dataset)
      ) WITHOUT ROWID;
      CREATE INDEX drift_report_datasets_dataset ON drift_report_datasets(dataset);

      CREATE TABLE drift_presets (
        name       TEXT PRIMARY KEY,
        options    TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'experiments and runs',
    sql: `
      CREATE TABLE experiments (
        id              TEXT PRIMARY KEY,
        name            TEXT NOT NULL UNIQUE,
        artifact_uri    TEXT NOT NULL,
        lifecycle_stage TEXT NOT NULL DEFAULT 'active',
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL
      );
      CREATE TABLE experiment_tags (
        experiment_id TEXT NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
        key           TEXT NOT NULL,
        value         TEXT NOT NULL,
        PRIMARY KEY (experiment_id, key)
      ) WITHOUT ROWID;
      INSERT INTO experiments (id, name, artifact_uri, created_at, updated_at)
        VALUES ('0', 'Default', 'mlwb-artifacts:/0', 0, 0);

      CREATE TABLE runs (
        id              TEXT PRIMARY KEY,
        experiment_id   TEXT NOT NULL REFERENCES experiments(id),
        name            TEXT NOT NULL,
        status          TEXT NOT NULL,
        lifecycle_stage TEXT NOT NULL DEFAULT 'active',
        start_time      INTEGER,
        end_time        INTEGER,
        created_at      INTEGER NOT NULL,
        -- How it runs and everything needed to run it again (DESIGN.md §5); null for runs that
        -- were only logged to (MLflow clients).
        spec            TEXT,
        engine          TEXT,
        engine_version  TEXT,
        image_digest    TEXT,
        container_id    TEXT,
        exit_code       INTEGER,
        failure_reason  TEXT,
        peak_memory     INTEGER,
        skipped_metrics INTEGER NOT NULL DEFAULT 0,
        -- How far metrics.jsonl has been read, so a restart resumes instead of re-reading.
        metrics_offset  INTEGER NOT NULL DEFAULT 0,
        -- The token the run's container uses for the MLflow-compatible API.
        api_token       TEXT,
        -- The process following the container (logs, metrics); another takes over when it dies.
        follower_pid    INTEGER
      );
      CREATE INDEX runs_experiment ON runs(experiment_id, created_at);
      CREATE INDEX runs_status ON runs(status);

      CREATE TABLE run_params (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key    TEXT NOT NULL,
        value  TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
      ) WITHOUT ROWID;
      CREATE INDEX run_params_key ON run_params(key, value);

      CREATE TABLE run_tags (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key    TEXT NOT NULL,
        value  TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
      ) WITHOUT ROWID;
      CREATE INDEX run_tags_key ON run_tags(key, value);

      -- Every point of every series.
      CREATE TABLE run_metrics (
        run_id    TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key       TEXT NOT NULL,
        step      INTEGER NOT NULL,
        timestamp INTEGER NOT NULL,
        value     REAL,
        is_nan    INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX run_metrics_series ON run_metrics(run_id, key, step);

      -- The latest point per series (highest step, then timestamp), for tables, search and sort.
      CREATE TABLE run_latest_metrics (
        run_id    TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key       TEXT NOT NULL,
        step      INTEGER NOT NULL,
        timestamp INTEGER NOT NULL,
        value     REAL,
        is_nan    INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, key)
      ) WITHOUT ROWID;
      CREATE INDEX run_latest_metrics_key ON run_latest_metrics(key, value);

      -- A recipe folder as it was when a run started (blobs in the object store).
      CREATE TABLE code_snapshots (
        digest     TEXT PRIMARY KEY,
        entries    TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE code_snapshot_files (
        digest TEXT NOT NULL REFERENCES code_snapshots(digest) ON DELETE CASCADE,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (digest, sha256)
      ) WITHOUT ROWID;

      -- Which dataset versions a run read, per channel.
      CREATE TABLE run_inputs (
        run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        channel TEXT NOT NULL,
        dataset TEXT NOT NULL,
        version INTEGER NOT NULL,
        digest  TEXT NOT NULL,
        PRIMARY KEY (run_id, channel)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: 'named engines',
    sql: `
      -- Docker engines besides the default one (the local socket or DOCKER_HOST): how a user
      -- outgrows one machine. A run records which engine it ran on.
      CREATE TABLE engines (
        name       TEXT PRIMARY KEY,
        host       TEXT NOT NULL,
        tls_verify INTEGER NOT NULL DEFAULT 0,
        cert_path  TEXT,
        created_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'saved filters, ssh identities',
    sql: `
      -- Filters a user named and kept (scope 'runs' for now), so they follow the store, not one
      -- browser profile.
      CREATE TABLE saved_filters (
        scope      TEXT NOT NULL,
        name       TEXT NOT NULL,
        filter     TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (scope, name)
      ) WITHOUT ROWID;

      -- The private key an ssh:// engine signs in with (else the ssh agent, else ~/.ssh/id_*).
      ALTER TABLE engines ADD COLUMN identity_file TEXT;
    `,
  },
  {
    version: 6,
    name: 'model registry',
    sql: `
      -- Registered models (docs/architecture.md, "Model registry"). Versions, aliases and gates hang
      -- off the model's id, so a rename is one row.
      CREATE TABLE models (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        -- Version numbers are never reused, even after a delete (as in MLflow): the next one.
        next_number INTEGER NOT NULL DEFAULT 1,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      );
      CREATE TABLE model_tags (
        model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        key      TEXT NOT NULL,
        value    TEXT NOT NULL,
        PRIMARY KEY (model_id, key)
      ) WITHOUT ROWID;

      -- A version is an ONNX file in the object store with what was read from it at registration:
      -- its signature, the feature spec, and its lineage as the run recorded it then.
      CREATE TABLE model_versions (
        model_id    TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        number      INTEGER NOT NULL,
        sha256      TEXT NOT NULL REFERENCES blobs(sha256),
        size        INTEGER NOT NULL,
        source      TEXT NOT NULL,
        run_id      TEXT,
        inputs      TEXT NOT NULL,
        outputs     TEXT NOT NULL,
        features    TEXT NOT NULL,
        classes     TEXT,
        label       TEXT,
        task        TEXT,
        lineage     TEXT,
        description TEXT NOT NULL DEFAULT '',
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL,
        PRIMARY KEY (model_id, number)
      ) WITHOUT ROWID;
      CREATE INDEX model_versions_run ON model_versions(run_id);
      CREATE TABLE model_version_tags (
        model_id TEXT NOT NULL,
        number   INTEGER NOT NULL,
        key      TEXT NOT NULL,
        value    TEXT NOT NULL,
        PRIMARY KEY (model_id, number, key),
        FOREIGN KEY (model_id, number) REFERENCES model_versions(model_id, number) ON DELETE CASCADE
      ) WITHOUT ROWID;

      -- One version per alias; RESTRICT keeps an aliased version from being deleted.
      CREATE TABLE model_aliases (
        model_id   TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        alias      TEXT NOT NULL,
        number     INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (model_id, alias),
        FOREIGN KEY (model_id, number) REFERENCES model_versions(model_id, number) ON DELETE RESTRICT
      ) WITHOUT ROWID;
      -- Every move of an alias: from, to (null when removed), when and why.
      CREATE TABLE model_alias_history (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        model_id    TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        alias       TEXT NOT NULL,
        from_number INTEGER,
        to_number   INTEGER,
        at          INTEGER NOT NULL,
        kind        TEXT NOT NULL,
        reason      TEXT
      );
      CREATE INDEX model_alias_history_model ON model_alias_history(model_id, alias, seq);

      -- The rules that guard an alias, and the data they are measured on.
      CREATE TABLE model_gates (
        model_id        TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        alias           TEXT NOT NULL,
        dataset         TEXT NOT NULL,
        dataset_version INTEGER,
        path            TEXT,
        label           TEXT NOT NULL,
        rules           TEXT NOT NULL,
        updated_at      INTEGER NOT NULL,
        PRIMARY KEY (model_id, alias)
      ) WITHOUT ROWID;

      -- Evaluations, one per (version, dataset version digest, table path, label): a re-evaluation
      -- on the same data replaces the stored one.
      CREATE TABLE model_evaluations (
        id              TEXT PRIMARY KEY,
        model_id        TEXT NOT NULL,
        number          INTEGER NOT NULL,
        dataset         TEXT NOT NULL,
        dataset_version INTEGER NOT NULL,
        dataset_digest  TEXT NOT NULL,
        path            TEXT NOT NULL,
        label           TEXT NOT NULL,
        task            TEXT NOT NULL,
        metrics         TEXT NOT NULL,
        details         TEXT NOT NULL,
        created_at      INTEGER NOT NULL,
        UNIQUE (model_id, number, dataset_digest, path, label),
        FOREIGN KEY (model_id, number) REFERENCES model_versions(model_id, number) ON DELETE CASCADE
      );
    `,
  },
  {
    version: 7,
    name: 'deployments',
    sql: `
      -- A model version served on an engine (docs/architecture.md, "Deployments"). The record is
      -- what was asked for; what runs is read from the engine by the containers' labels.
      CREATE TABLE deployments (
        id           TEXT PRIMARY KEY,
        name         TEXT NOT NULL UNIQUE,
        model        TEXT NOT NULL,
        version      INTEGER NOT NULL,
        alias        TEXT,
        follow_alias INTEGER NOT NULL DEFAULT 0,
        engine       TEXT,
        mode         TEXT NOT NULL CHECK (mode IN ('container', 'swarm')),
        replicas     INTEGER NOT NULL DEFAULT 1,
        bind_host    TEXT NOT NULL,
        url_host     TEXT NOT NULL,
        port         INTEGER NOT NULL,
        image        TEXT NOT NULL,
        -- 'running' or 'stopped': what the user last asked for.
        desired      TEXT NOT NULL CHECK (desired IN ('running', 'stopped')),
        -- Counts the containers made for it; each new one takes the next.
        generation   INTEGER NOT NULL DEFAULT 1,
        last_replacement TEXT,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL
      );
      CREATE INDEX deployments_model ON deployments(model, alias);
      CREATE TABLE deployment_events (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
        deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
        at            INTEGER NOT NULL,
        kind          TEXT NOT NULL,
        version       INTEGER NOT NULL,
        message       TEXT NOT NULL
      );
      CREATE INDEX deployment_events_deployment ON deployment_events(deployment_id, seq);
    `,
  },
  {
    version: 8,
    name: 'deployment holds',
    sql: `
      -- One change of a deployment at a time (deploy, update, restart, stop, remove), across the
      -- app and CLI processes: who holds it (pid), doing what, and until when, in case it died
      -- holding it.
      ALTER TABLE deployments ADD COLUMN busy_pid INTEGER;
      ALTER TABLE deployments ADD COLUMN busy_what TEXT;
      ALTER TABLE deployments ADD COLUMN busy_until INTEGER;
    `,
  },
  {
    version: 9,
    name: 'dataset version sources',
    sql: `
      -- What a version was added from, as a digest of its files' paths and stats (ingest.ts):
      -- adding the same unchanged files again is then answered from one stat of each file.
      ALTER TABLE dataset_versions ADD COLUMN sources TEXT;
    `,
  },
  {
    version: 10,
    name: 'holders by pid and start',
    sql: `
      -- A holder is its pid and when it started (processIdentity.ts: TICKS@BOOT-ID#PID), so a process
      -- that later got a dead holder's pid is not taken for it. NULL (rows from before, platforms
      -- without /proc): the pid alone decides.
      ALTER TABLE runs ADD COLUMN follower_pid_start TEXT;
      ALTER TABLE deployments ADD COLUMN busy_pid_start TEXT;
      ALTER TABLE write_leases ADD COLUMN pid_start TEXT;
      -- A process from before this migration (an app or supervisor still running the old code)
      -- changes a holder's pid alone: the start it leaves would name the previous holder, and
      -- the live one would be taken for gone. A pid changed without its start clears the start.
      CREATE TRIGGER runs_follower_pid_alone AFTER UPDATE OF follower_pid ON runs
        WHEN NEW.follower_pid IS NOT OLD.follower_pid
         AND NEW.follower_pid_start IS OLD.follower_pid_start AND NEW.follower_pid_start IS NOT NULL
      BEGIN
        UPDATE runs SET follower_pid_start = NULL WHERE id = NEW.id;
      END;
      CREATE TRIGGER deployments_busy_pid_alone AFTER UPDATE OF busy_pid ON deployments
        WHEN NEW.busy_pid IS NOT OLD.busy_pid
         AND NEW.busy_pid_start IS OLD.busy_pid_start AND NEW.busy_pid_start IS NOT NULL
      BEGIN
        UPDATE deployments SET busy_pid_start = NULL WHERE id = NEW.id;
      END;
    `,
  },
  {
    version: 11,
    name: 'monitoring',
    sql: `
      -- The requests deployments logged (docs/architecture.md "Monitoring"), read from their log
      -- files as they grow. Keyed by the deployment's id: a new deployment under an old name starts
      -- with no traffic. One row per request; features and outputs as the server logged them
      -- (JSON, column-wise by feature name).
      CREATE TABLE requests (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        deployment_id TEXT NOT NULL,
        request_id   TEXT NOT NULL,
        at           INTEGER NOT NULL,
        version      INTEGER NOT NULL,
        endpoint     TEXT NOT NULL,
        status       INTEGER NOT NULL,
        latency_ms   REAL NOT NULL,
        rows         INTEGER NOT NULL,
        features     TEXT,
        outputs      TEXT,
        error        TEXT
      );
      CREATE INDEX requests_deployment_at ON requests(deployment_id, at);
      CREATE INDEX requests_deployment_id ON requests(deployment_id, request_id);
      -- How far each log file has been read: by generation folder and inode (a rotation renames
      -- the file), with its first bytes to tell a new file that took a freed inode.
      CREATE TABLE request_log_files (
        deployment_id TEXT NOT NULL,
        file_key     TEXT NOT NULL,
        head         TEXT NOT NULL,
        offset       INTEGER NOT NULL,
        PRIMARY KEY (deployment_id, file_key)
      );
      -- Ground truth, by request id and row of the request; a later label replaces an earlier one.
      CREATE TABLE request_labels (
        deployment_id TEXT NOT NULL,
        request_id   TEXT NOT NULL,
        row          INTEGER NOT NULL,
        label        TEXT NOT NULL,
        added_at     INTEGER NOT NULL,
        PRIMARY KEY (deployment_id, request_id, row)
      );
      CREATE TABLE monitors (
        id           TEXT PRIMARY KEY,
        name         TEXT NOT NULL UNIQUE,
        deployment   TEXT NOT NULL,
        settings     TEXT NOT NULL,
        enabled      INTEGER NOT NULL DEFAULT 1,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL
      );
      CREATE TABLE monitor_runs (
        id           TEXT PRIMARY KEY,
        monitor_id   TEXT NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
        at           INTEGER NOT NULL,
        body         TEXT NOT NULL
      );
      CREATE INDEX monitor_runs_monitor ON monitor_runs(monitor_id, at);
      CREATE TABLE alerts (
        id           TEXT PRIMARY KEY,
        monitor_id   TEXT NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
        rule         TEXT NOT NULL,
        state        TEXT NOT NULL CHECK (state IN ('firing', 'resolved')),
        fired_at     INTEGER NOT NULL,
        resolved_at  INTEGER,
        value        REAL,
        message      TEXT NOT NULL
      );
      -- At most one firing alert per monitor and rule: a check that fails again updates it.
      CREATE UNIQUE INDEX alerts_firing ON alerts(monitor_id, rule) WHERE state = 'firing';
      CREATE INDEX alerts_fired ON alerts(fired_at);
    `,
  },
  {
    version: 12,
    name: 'continuous training',
    sql: `
      -- Policies that retrain a deployment's model (docs/architecture.md "Continuous training"),
      -- and each execution of one: its trigger and its pipeline's steps as they went (JSON), held
      -- by the process running it (pid and start) while it runs.
      CREATE TABLE policies (
        id           TEXT PRIMARY KEY,
        name         TEXT NOT NULL UNIQUE,
        settings     TEXT NOT NULL,
        enabled      INTEGER NOT NULL DEFAULT 1,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL
      );
      CREATE TABLE policy_executions (
        id           TEXT PRIMARY KEY,
        policy_id    TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
        started_at   INTEGER NOT NULL,
        status       TEXT NOT NULL,
        body         TEXT NOT NULL,
        holder_pid   INTEGER,
        holder_start TEXT
      );
      CREATE INDEX policy_executions_policy ON policy_executions(policy_id, started_at);
      -- One execution of a policy at a time.
      CREATE UNIQUE INDEX policy_executions_running ON policy_executions(policy_id) WHERE status = 'running';
    `,
  },
  {
    version: 13,
    name: "monitors' drift reports",
    sql: `
      -- The monitor whose check made a drift report (monitoring/monitorService.ts): kept out of the
      -- Drift page's list (the monitor's page shows them), and removed with the monitor or when
      -- its checks age out. NULL: a check a user asked for.
      ALTER TABLE drift_reports ADD COLUMN monitor_id TEXT;
      CREATE INDEX drift_reports_monitor ON drift_reports(monitor_id) WHERE monitor_id IS NOT NULL;
    `,
  },
  {
    version: 14,
    name: "policies' trigger changes",
    sql: `
      -- When a policy's triggers were last changed (another monitor or rules, resumed): alerts
      -- that fired before do not set it off (policies/policyService.ts due()). NULL: never
      -- changed since it was made.
      ALTER TABLE policies ADD COLUMN triggers_since INTEGER;
    `,
  },
  {
    version: 15,
    name: 'events of other processes',
    sql: `
      -- What each process announced (eventJournal.ts): the app re-announces what another process
      -- (a terminal's mlwb, a detached run's supervisor) changed, so its pages and alerts follow.
      -- Kept a short while only.
      CREATE TABLE event_journal (
        seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        at      INTEGER NOT NULL,
        origin  TEXT NOT NULL,
        topic   TEXT NOT NULL,
        payload TEXT NOT NULL
      );
      CREATE INDEX event_journal_at ON event_journal(at);
    `,
  },
];
