using System.Text.Json.Nodes;

namespace PersonaOps.Sandbox.Api;

/// <summary>A request to the sandbox, independent of how it arrived (HTTP or in-process).</summary>
public sealed record SandboxRequest(string Method, string Path, IReadOnlyDictionary<string, string> Query, Func<string, string?> Header, byte[] Body);

/// <summary>
/// The sandbox's answer. <see cref="DropConnection"/> asks the transport to close the connection without
/// answering: the change was stored, but the client never learns it.
/// </summary>
public sealed record SandboxResponse(int Status, JsonNode? Body, IReadOnlyDictionary<string, string> Headers, bool DropConnection = false)
{
    private static readonly IReadOnlyDictionary<string, string> NoHeaders = new Dictionary<string, string>();

    public static SandboxResponse Json(int status, JsonNode? body) => new(status, body, NoHeaders);

    /// <summary>Tavus's 400 shape: <c>{"error": ...}</c>.</summary>
    public static SandboxResponse Error(int status, string error) => Json(status, new JsonObject { ["error"] = error });

    /// <summary>Tavus's 401, 422 and 304 shape: <c>{"message": ...}</c>.</summary>
    public static SandboxResponse Message(int status, string message) => Json(status, new JsonObject { ["message"] = message });
}
