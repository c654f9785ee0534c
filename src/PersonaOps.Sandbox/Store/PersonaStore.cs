using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace PersonaOps.Sandbox.Store;

/// <summary>A stored persona: its server fields and its body (every other field, as sent).</summary>
public sealed record PersonaRecord(string Id, string Type, JsonObject Body, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, bool MakerDraft);

/// <summary>A stored replica, with the Phoenix model it was trained on.</summary>
public sealed record ReplicaRecord(string Id, string Name, string Type, DateTimeOffset CreatedAt, string ModelName);

/// <summary>The filters of GET /v2/replicas; null matches every replica.</summary>
/// <param name="Ids">replica_ids: the replicas to list, by id.</param>
/// <param name="ModelName">model_name: the Phoenix model the replicas were trained on.</param>
public sealed record ReplicaFilter(string? Type = null, IReadOnlySet<string>? Ids = null, string? ModelName = null)
{
    public bool Matches(ReplicaRecord replica) =>
        (Type is null || replica.Type == Type)
        && (Ids is null || Ids.Contains(replica.Id))
        && (ModelName is null || replica.ModelName == ModelName);
}

/// <summary>What an update decided after seeing the current record inside the transaction.</summary>
public abstract record UpdateDecision
{
    public sealed record Store(JsonObject Body, bool ClearDraft) : UpdateDecision;

    public sealed record Keep : UpdateDecision;
}

/// <summary>
/// The sandbox's SQLite store. One file, WAL journal: safe for several processes at once, every write in
/// one immediate transaction (read, decide, write), durable across a killed process.
/// </summary>
public sealed class PersonaStore : IDisposable
{
    private readonly string _connectionString;
    private readonly TimeProvider _clock;
    private readonly SqliteConnection? _keepAlive;

    public PersonaStore(string path, TimeProvider? clock = null, IEnumerable<string>? extraReplicas = null)
    {
        _clock = clock ?? TimeProvider.System;
        var inMemory = path == ":memory:";
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = inMemory ? $"personaops-{Guid.NewGuid():N}" : path,
            Mode = inMemory ? SqliteOpenMode.Memory : SqliteOpenMode.ReadWriteCreate,
            Cache = inMemory ? SqliteCacheMode.Shared : SqliteCacheMode.Default,
            DefaultTimeout = 30,
            Pooling = true,
        }.ToString();

        if (!inMemory && Path.GetDirectoryName(Path.GetFullPath(path)) is { } directory)
        {
            Directory.CreateDirectory(directory);
        }

        // A shared in-memory database lives as long as one connection to it.
        _keepAlive = inMemory ? Open() : null;
        Initialise(extraReplicas ?? []);
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    private void Initialise(IEnumerable<string> extraReplicas)
    {
        using var connection = Open();
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";
            wal.ExecuteNonQuery();
        }

        using var transaction = connection.BeginTransaction(deferred: false);
        Execute(connection, transaction, """
            CREATE TABLE IF NOT EXISTS personas (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                type TEXT NOT NULL,
                body TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                maker_draft INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS replicas (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                type TEXT NOT NULL,
                created_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS meta (
                name TEXT PRIMARY KEY,
                value TEXT NOT NULL);
            """);

        // The file's own random key, made once (the first process to open the file wins; the others read it).
        Execute(connection, transaction, "INSERT OR IGNORE INTO meta (name, value) VALUES ('instance_key', $key)",
            ("$key", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))));
        using (var read = Command(connection, transaction, "SELECT value FROM meta WHERE name = 'instance_key'"))
        {
            InstanceKey = Convert.FromHexString((string)read.ExecuteScalar()!);
        }

        var now = Format(_clock.GetUtcNow());
        foreach (var (id, name, prompt) in StockData.Personas)
        {
            var body = new JsonObject { ["persona_name"] = name, ["system_prompt"] = prompt, ["pipeline_mode"] = "full" };
            Execute(connection, transaction, "INSERT OR IGNORE INTO personas (id, type, body, created_at, updated_at) VALUES ($id, 'system', $body, $now, $now)",
                ("$id", id), ("$body", body.ToJsonString()), ("$now", now));
        }

        foreach (var (id, name, _) in StockData.Replicas)
        {
            Execute(connection, transaction, "INSERT OR IGNORE INTO replicas (id, name, type, created_at) VALUES ($id, $name, 'system', $now)",
                ("$id", id), ("$name", name), ("$now", now));
        }

        foreach (var id in extraReplicas)
        {
            Execute(connection, transaction, "INSERT OR IGNORE INTO replicas (id, name, type, created_at) VALUES ($id, $id, 'user', $now)",
                ("$id", id), ("$now", now));
        }

        transaction.Commit();
    }

    /// <summary>
    /// 32 random bytes drawn when the file was made and kept in it: what this sandbox's plans are keyed with
    /// (its "account"). A sandbox file deleted and made again is another account.
    /// </summary>
    public byte[] InstanceKey { get; private set; } = [];

    public PersonaRecord Create(JsonObject body)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var now = _clock.GetUtcNow();
        for (var attempt = 0; ; attempt++)
        {
            var id = NewId('p', 11);
            try
            {
                Execute(connection, transaction, "INSERT INTO personas (id, type, body, created_at, updated_at) VALUES ($id, 'user', $body, $now, $now)",
                    ("$id", id), ("$body", body.ToJsonString()), ("$now", Format(now)));
                transaction.Commit();
                return new PersonaRecord(id, "user", body, now, now, false);
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode == 19 && attempt < 5)
            {
                // An id collision (one in 17 trillion): draw again.
            }
        }
    }

    public PersonaRecord? Get(string id)
    {
        using var connection = Open();
        return Read(connection, null, id);
    }

    public (IReadOnlyList<PersonaRecord> Page, int Total) List(string? type, int limit, int offset)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: true);
        var filter = type is null ? "" : "WHERE type = $type";
        using var count = Command(connection, transaction, $"SELECT COUNT(*) FROM personas {filter}", ("$type", type));
        var total = Convert.ToInt32(count.ExecuteScalar(), CultureInfo.InvariantCulture);
        using var select = Command(connection, transaction,
            $"SELECT id, type, body, created_at, updated_at, maker_draft FROM personas {filter} ORDER BY seq LIMIT $limit OFFSET $offset",
            ("$type", type), ("$limit", limit), ("$offset", offset));
        using var reader = select.ExecuteReader();
        var page = new List<PersonaRecord>();
        while (reader.Read())
        {
            page.Add(ReadRecord(reader));
        }

        return (page, total);
    }

    /// <summary>Reads, decides and writes one persona in a single immediate transaction; null when the id is unknown.</summary>
    public (PersonaRecord Before, PersonaRecord After, bool Changed)? Update(string id, Func<PersonaRecord, UpdateDecision> decide)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var before = Read(connection, transaction, id);
        if (before is null)
        {
            return null;
        }

        switch (decide(before))
        {
            case UpdateDecision.Store store:
                var now = _clock.GetUtcNow();
                Execute(connection, transaction, "UPDATE personas SET body = $body, updated_at = $now, maker_draft = CASE WHEN $clear THEN 0 ELSE maker_draft END WHERE id = $id",
                    ("$id", id), ("$body", store.Body.ToJsonString()), ("$now", Format(now)), ("$clear", store.ClearDraft));
                transaction.Commit();
                return (before, before with { Body = store.Body, UpdatedAt = now, MakerDraft = before.MakerDraft && !store.ClearDraft }, true);
            default:
                transaction.Commit();
                return (before, before, false);
        }
    }

    public bool Delete(string id)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var deleted = Execute(connection, transaction, "DELETE FROM personas WHERE id = $id AND type = 'user'", ("$id", id));
        transaction.Commit();
        return deleted > 0;
    }

    /// <summary>Marks a persona as having a PAL Maker draft (the sandbox's stand-in for a dashboard edit in progress).</summary>
    public void SetMakerDraft(string id, bool draft)
    {
        using var connection = Open();
        Execute(connection, null, "UPDATE personas SET maker_draft = $draft WHERE id = $id", ("$id", id), ("$draft", draft));
    }

    public bool ReplicaExists(string id)
    {
        using var connection = Open();
        using var command = Command(connection, null, "SELECT 1 FROM replicas WHERE id = $id", ("$id", id));
        return command.ExecuteScalar() is not null;
    }

    /// <summary>One page of the replicas <paramref name="filter"/> matches, and how many it matches in all.</summary>
    public (IReadOnlyList<ReplicaRecord> Page, int Total) ListReplicas(ReplicaFilter filter, int limit, int offset)
    {
        // A few dozen rows at most: filtered here, where the model (not stored) is known.
        using var connection = Open();
        using var select = Command(connection, null, "SELECT id, name, type, created_at FROM replicas ORDER BY seq");
        using var reader = select.ExecuteReader();
        var matching = new List<ReplicaRecord>();
        while (reader.Read())
        {
            var id = reader.GetString(0);
            var replica = new ReplicaRecord(id, reader.GetString(1), reader.GetString(2), Parse(reader.GetString(3)), StockData.ModelOf(id));
            if (filter.Matches(replica))
            {
                matching.Add(replica);
            }
        }

        return ([.. matching.Skip(offset).Take(limit)], matching.Count);
    }

    public ReplicaRecord? GetReplica(string id) =>
        ListReplicas(new ReplicaFilter(Ids: new HashSet<string>(StringComparer.Ordinal) { id }), 1, 0).Page.SingleOrDefault();

    public void Dispose() => _keepAlive?.Dispose();

    /// <summary>Tavus's timestamp form: ISO 8601, UTC, milliseconds, Z.</summary>
    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static string NewId(char prefix, int hexDigits) =>
        prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes((hexDigits + 1) / 2))[..hexDigits];

    private static PersonaRecord? Read(SqliteConnection connection, SqliteTransaction? transaction, string id)
    {
        using var command = Command(connection, transaction, "SELECT id, type, body, created_at, updated_at, maker_draft FROM personas WHERE id = $id", ("$id", id));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRecord(reader) : null;
    }

    private static PersonaRecord ReadRecord(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        JsonNode.Parse(reader.GetString(2))!.AsObject(),
        Parse(reader.GetString(3)),
        Parse(reader.GetString(4)),
        reader.GetInt64(5) != 0);

    private static int Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
#pragma warning disable CA2100 // The SQL is fixed text; every value is a parameter.
        command.CommandText = sql;
#pragma warning restore CA2100
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }
}
