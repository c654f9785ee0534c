using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Kinds;
using PersonaOps.Core.Schema;
using PersonaOps.Core.Validation;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Sandbox.Api;

/// <summary>
/// The Tavus persona API as the sandbox answers it: the same paths, status codes, bodies and error shapes
/// as Tavus documents (and, where it is silent, as observed), with switches where it is uncertain.
/// Transport-free: <see cref="SandboxServer"/> serves it over HTTP, <see cref="InProcessHandler"/> in-process.
/// </summary>
public sealed class SandboxApi
{
    private const string Mask = "****";
    private readonly PersonaStore _store;
    private readonly SandboxOptions _options;
    private readonly FaultInjector _faults;
    private readonly byte[] _apiKey;

    public SandboxApi(PersonaStore store, SandboxOptions options)
    {
        _store = store;
        _options = options;
        _faults = new FaultInjector(options.Faults);
        _apiKey = Encoding.UTF8.GetBytes(options.ApiKey);
    }

    public SandboxOptions Options => _options;

    public PersonaStore Store => _store;

    public async Task<SandboxResponse> HandleAsync(SandboxRequest request, CancellationToken cancellationToken = default)
    {
        if (_options.Faults.LatencyMs > 0)
        {
            await Task.Delay(_options.Faults.LatencyMs, cancellationToken);
        }

        if (!Authorised(request.Header("x-api-key")))
        {
            return SandboxResponse.Message(401, "Invalid access token");
        }

        switch (_faults.BeforeHandling())
        {
            case 500:
                return SandboxResponse.Error(500, "Internal Server Error");
            case 429:
                return new SandboxResponse(429, new JsonObject { ["message"] = "Too many requests" },
                    new Dictionary<string, string> { ["Retry-After"] = _options.Faults.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture) });
        }

        if (request.Body.Length > _options.MaxBodyBytes)
        {
            return SandboxResponse.Error(413, "Request body too large");
        }

        var segments = request.Path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var response = (request.Method.ToUpperInvariant(), segments) switch
        {
            ("POST", ["v2", "personas"]) => Create(request),
            ("GET", ["v2", "personas"]) => List(request),
            ("GET", ["v2", "personas", var id]) => Get(id),
            ("PATCH", ["v2", "personas", var id]) => Patch(id, request),
            ("DELETE", ["v2", "personas", var id]) => Delete(id),
            ("GET", ["v2", "replicas"]) => ListReplicas(request),
            ("GET", ["v2", "replicas", var id]) => GetReplica(id),
            (_, ["v2", "personas", ..] or ["v2", "replicas", ..]) => SandboxResponse.Message(405, "Method not allowed"),
            _ => SandboxResponse.Message(404, "Not found"),
        };

        var isWrite = request.Method.ToUpperInvariant() is "POST" or "PATCH" or "DELETE";
        return isWrite && response.Status is >= 200 and < 300 && _faults.DropAfterCommit()
            ? response with { DropConnection = true }
            : response;
    }

    private bool Authorised(string? key) =>
        key is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), _apiKey);

    private SandboxResponse Create(SandboxRequest request)
    {
        if (ParseBody(request.Body, out var error) is not JsonObject body)
        {
            return SandboxResponse.Error(400, error ?? "Bad Request. The body must be a JSON object.");
        }

        // Server-owned fields (readOnly in the schema) are Tavus's to set: a body's values are dropped.
        body = PersonaShape.WithoutServerFields(body);

        if (Check(body) is { } invalid)
        {
            return invalid;
        }

        var record = _store.Create(body);
        return SandboxResponse.Json(200, Named(record.Id, new JsonObject
        {
            ["persona_id"] = record.Id,
            ["persona_name"] = body["persona_name"]?.DeepClone(),
            ["created_at"] = PersonaStore.Format(record.CreatedAt),
        }));
    }

    private SandboxResponse List(SandboxRequest request)
    {
        if (!Paging(request, out var limit, out var offset, out var error))
        {
            return error!;
        }

        var type = request.Query.GetValueOrDefault("persona_type");
        if (type is not (null or "user" or "system"))
        {
            return SandboxResponse.Error(400, "Invalid persona_type");
        }

        var (page, total) = _store.List(type, limit, offset);
        return SandboxResponse.Json(200, new JsonObject
        {
            ["data"] = new JsonArray(page.Select(p => (JsonNode?)Present(p)).ToArray()),
            ["total_count"] = total,
        });
    }

    private SandboxResponse Get(string id) =>
        _store.Get(id) is { } record ? SandboxResponse.Json(200, Present(record)) : UnknownPersona();

    private SandboxResponse Patch(string id, SandboxRequest request)
    {
        JsonPatchDocument? patch = null;
        var parsed = ParseBody(request.Body, out _) is { } json && JsonPatchDocument.TryParse(json, out patch, out _);
        var force = request.Query.TryGetValue("force", out var f) && f.Equals("true", StringComparison.OrdinalIgnoreCase);
        SandboxResponse? outcome = null;
        var result = _store.Update(id, current =>
        {
            if (current.Type == "system")
            {
                outcome = SandboxResponse.Error(400, "System personas cannot be modified");
                return new UpdateDecision.Keep();
            }

            if (!parsed || patch is null)
            {
                outcome = SandboxResponse.Message(422, "Invalid JSON patch format");
                return new UpdateDecision.Keep();
            }

            if (_options.MakerDrafts && current.MakerDraft && !force)
            {
                outcome = SandboxResponse.Json(409, new JsonObject
                {
                    ["conflict"] = "maker_changes",
                    ["message"] = "This persona has unpublished changes in PAL Maker. Retry with ?force=true to discard them.",
                });
                return new UpdateDecision.Keep();
            }

            // Paths address the document as GET returns it, server fields included.
            var document = Full(current);
            var applied = patch.Apply(document);
            if (!applied.Succeeded || applied.Document is not JsonObject updated)
            {
                outcome = SandboxResponse.Message(422, "Invalid JSON patch format");
                return new UpdateDecision.Keep();
            }

            updated = PersonaShape.WithoutServerFields(updated);

            if (Check(updated) is { } invalid)
            {
                outcome = invalid;
                return new UpdateDecision.Keep();
            }

            if (JsonEquality.DeepEquals(PersonaShape.WithoutDefaults(updated), PersonaShape.WithoutDefaults(current.Body)))
            {
                outcome = SandboxResponse.Message(304, "No changes were made to the persona");
                return new UpdateDecision.Keep();
            }

            return new UpdateDecision.Store(updated, ClearDraft: force);
        });

        if (result is null)
        {
            return UnknownPersona();
        }

        if (outcome is not null)
        {
            return outcome;
        }

        var body = Present(result.Value.After);
        if (force && result.Value.Before.MakerDraft)
        {
            body["discarded_maker_changes"] = true;
        }

        return SandboxResponse.Json(200, body);
    }

    private SandboxResponse Delete(string id)
    {
        if (_store.Get(id) is not { } record)
        {
            return UnknownPersona();
        }

        if (record.Type == "system")
        {
            return SandboxResponse.Error(400, "System personas cannot be deleted");
        }

        return _store.Delete(id) ? SandboxResponse.Json(204, null) : UnknownPersona();
    }

    private SandboxResponse ListReplicas(SandboxRequest request)
    {
        if (!Paging(request, out var limit, out var offset, out var error))
        {
            return error!;
        }

        // replica_ids is comma-separated (spaces around an id and empty entries ignored); model_name is exact.
        var type = request.Query.GetValueOrDefault("replica_type");
        var ids = request.Query.TryGetValue("replica_ids", out var list)
            ? list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal)
            : null;
        var model = request.Query.GetValueOrDefault("model_name");
        var verbose = request.Query.GetValueOrDefault("verbose") == "true";
        var (page, total) = _store.ListReplicas(new ReplicaFilter(type, ids, model), limit, offset);
        return SandboxResponse.Json(200, new JsonObject
        {
            ["data"] = new JsonArray(page.Select(r => (JsonNode?)Present(r, verbose)).ToArray()),
            ["total_count"] = total,
        });
    }

    private SandboxResponse GetReplica(string id) =>
        _store.GetReplica(id) is { } replica
            ? SandboxResponse.Json(200, Present(replica, verbose: true, single: true))
            : SandboxResponse.Error(400, "Invalid replica_id");

    private SandboxResponse UnknownPersona() =>
        _options.UnknownIdStatus == 404 ? SandboxResponse.Message(404, "Persona not found") : SandboxResponse.Error(400, "Invalid persona_id");

    /// <summary>Tavus-style validation of a persona body: 400 with a Python-dict-style message, as observed.</summary>
    private SandboxResponse? Check(JsonObject body)
    {
        var errors = PersonaBodyValidator.Validate(body)
            .Where(e => _options.StrictFields || !e.IsUnknownField)
            .ToArray();
        if (errors.Length > 0)
        {
            var fields = string.Join(", ", errors.Take(10).Select(e =>
                $"'{FieldPath.Display(e.Pointer)}': ['{(e.IsUnknownField ? "Unknown field." : e.Message.Replace("'", "\"", StringComparison.Ordinal))}']"));
            return SandboxResponse.Error(400, $"Bad Request. {{{fields}}}");
        }

        var echo = body["pipeline_mode"] is JsonValue mode && mode.GetValueKind() == JsonValueKind.String && mode.GetValue<string>() == "echo";
        if (!echo && body["system_prompt"] is not JsonValue)
        {
            return SandboxResponse.Error(400, "Bad Request. {'system_prompt': ['system_prompt is required unless pipeline_mode is echo.']}");
        }

        if (body["default_replica_id"] is JsonValue replica && replica.GetValueKind() == JsonValueKind.String && !_store.ReplicaExists(replica.GetValue<string>()))
        {
            return SandboxResponse.Error(400, "Invalid replica_uuid");
        }

        return null;
    }

    /// <summary>The persona as stored, with its server fields: what PATCH paths address.</summary>
    private static JsonObject Full(PersonaRecord record)
    {
        var full = new JsonObject { ["persona_id"] = record.Id };
        foreach (var (key, value) in record.Body)
        {
            full[key] = value?.DeepClone();
        }

        full["persona_type"] = record.Type;
        full["created_at"] = PersonaStore.Format(record.CreatedAt);
        full["updated_at"] = PersonaStore.Format(record.UpdatedAt);
        return full;
    }

    /// <summary>The persona as GET returns it, shaped by the read-back switches.</summary>
    private JsonObject Present(PersonaRecord record)
    {
        var body = _options.Defaults == DefaultsReadBack.Omit ? PersonaShape.WithoutDefaults(record.Body) : record.Body.DeepClone().AsObject();
        if (_options.Secrets != SecretReadBack.Echo)
        {
            var secrets = new List<JsonPointer>();
            PersonaShape.VisitSecrets(body, (pointer, value) =>
            {
                if (value is JsonValue)
                {
                    secrets.Add(pointer);
                }
            });
            var operations = secrets.Select(p => _options.Secrets == SecretReadBack.Mask ? PatchOperation.Replace(p, Mask) : PatchOperation.Remove(p));
            body = new JsonPatchDocument(operations).Apply(body).Document!.AsObject();
        }

        return Named(record.Id, Full(record with { Body = body }));
    }

    /// <summary>A persona as read back, in the names the <see cref="SandboxOptions.PalNames"/> switch gives it.</summary>
    private JsonObject Named(string id, JsonObject persona) => _options.PalNames switch
    {
        PalNames.All => PersonaKind.Identity.WithAliases(persona),
        PalNames.Both => PersonaKind.Identity.WithAliases(persona, keepBoth: true),
        PalNames.Mixed when ReadsAsPal(id) => PersonaKind.Identity.WithAliases(persona),
        _ => persona,
    };

    /// <summary>With <see cref="PalNames.Mixed"/>: the personas that read back with PAL-era names (about half, by id).</summary>
    public static bool ReadsAsPal(string id) => id.Length > 0 && id[^1] % 2 == 0;

    /// <summary>A replica as the official document lists it; read alone (<paramref name="single"/>) it also has updated_at and error_message.</summary>
    private static JsonObject Present(ReplicaRecord replica, bool verbose, bool single = false)
    {
        var obj = new JsonObject
        {
            ["replica_id"] = replica.Id,
            ["replica_name"] = replica.Name,
            ["thumbnail_video_url"] = $"https://sandbox.personaops.invalid/replicas/{replica.Id}/thumbnail.mp4",
            ["training_progress"] = "100/100",
            ["status"] = "completed",
            ["created_at"] = PersonaStore.Format(replica.CreatedAt),
            ["model_name"] = replica.ModelName,
        };
        if (single)
        {
            obj["updated_at"] = PersonaStore.Format(replica.CreatedAt);
            obj["error_message"] = null;
        }

        if (verbose)
        {
            obj["replica_type"] = replica.Type;
        }

        return obj;
    }

    private static bool Paging(SandboxRequest request, out int limit, out int offset, out SandboxResponse? error)
    {
        limit = 10;
        offset = 0;
        error = null;
        var page = 1;
        if (request.Query.TryGetValue("limit", out var l) && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1))
        {
            error = SandboxResponse.Error(400, "Invalid limit");
            return false;
        }

        if (request.Query.TryGetValue("page", out var p) && (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out page) || page < 1))
        {
            error = SandboxResponse.Error(400, "Invalid page");
            return false;
        }

        offset = (int)Math.Min(int.MaxValue, (long)(page - 1) * limit);
        return true;
    }

    private static JsonNode? ParseBody(byte[] body, out string? error)
    {
        error = null;
        if (body.Length == 0)
        {
            error = "Bad Request. The body is empty.";
            return null;
        }

        try
        {
            if (Core.JsonPatch.JsonDefects.Find(body, maxDepth: 128) is { } defect)
            {
                error = $"Bad Request. The body is {defect.Description}.";
                return null;
            }

            return JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 128 });
        }
        catch (JsonException)
        {
            error = "Bad Request. The body is not valid JSON.";
            return null;
        }
    }
}
