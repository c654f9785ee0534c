using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;

namespace PersonaOps.Core.Tests.Schema;

/// <summary>
/// A minimal Language Server Protocol client: starts yaml-language-server (installed under obj/ at build
/// time) with node over stdio only, frames JSON-RPC messages with Content-Length headers, answers the
/// server's own requests (workspace/configuration with the settings below) and collects the diagnostics
/// it publishes.
/// </summary>
public sealed class LanguageServerClient : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Validation and completion on; no schema store, so nothing is looked up on the network.</summary>
    private static readonly JsonObject Settings = new()
    {
        ["yaml"] = new JsonObject
        {
            ["validate"] = true,
            ["completion"] = true,
            ["hover"] = true,
            ["schemaStore"] = new JsonObject { ["enable"] = false },
        },
    };

    private readonly Process _process;
    private readonly Stream _input;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode?>> _pending = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonArray>> _diagnostics = new(StringComparer.Ordinal);
    private readonly StringBuilder _stderr = new();
    private readonly Task _reader;
    private int _nextId;

    private LanguageServerClient(Process process)
    {
        _process = process;
        _input = process.StandardInput.BaseStream;
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }
        };
        _process.BeginErrorReadLine();
        _reader = Task.Run(ReadLoop);
    }

    /// <summary>The server's script, recorded in this assembly by the build that installed it.</summary>
    public static string ServerScript =>
        typeof(LanguageServerClient).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "YamlLanguageServer").Value!;

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static async Task<LanguageServerClient> StartAsync()
    {
        File.Exists(ServerScript).ShouldBeTrue($"yaml-language-server is not installed at {ServerScript}; the build installs it with npm");
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ServerScript);
        start.ArgumentList.Add("--stdio");
        var client = new LanguageServerClient(Process.Start(start) ?? throw new InvalidOperationException("node did not start"));

        await client.RequestAsync("initialize", new JsonObject
        {
            ["processId"] = Environment.ProcessId,
            ["rootUri"] = null,
            ["capabilities"] = new JsonObject
            {
                ["workspace"] = new JsonObject { ["configuration"] = true },
                ["textDocument"] = new JsonObject
                {
                    ["completion"] = new JsonObject { ["completionItem"] = new JsonObject { ["snippetSupport"] = true } },
                    ["publishDiagnostics"] = new JsonObject(),
                },
            },
        });
        await client.NotifyAsync("initialized", new JsonObject());
        await client.NotifyAsync("workspace/didChangeConfiguration", new JsonObject { ["settings"] = Settings.DeepClone() });
        return client;
    }

    /// <summary>Opens <paramref name="path"/> with its text and returns the first diagnostics the server publishes for it.</summary>
    public async Task<JsonArray> OpenAsync(string path, string text)
    {
        var uri = new Uri(path).AbsoluteUri;
        var published = _diagnostics.GetOrAdd(uri, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
        await NotifyAsync("textDocument/didOpen", new JsonObject
        {
            ["textDocument"] = new JsonObject { ["uri"] = uri, ["languageId"] = "yaml", ["version"] = 1, ["text"] = text },
        });
        return await published.Task.WaitAsync(Timeout).ConfigureAwait(false);
    }

    /// <summary>The labels the server offers for completion at a zero-based line and character.</summary>
    public async Task<IReadOnlyList<string>> CompleteAsync(string path, int line, int character)
    {
        var result = await RequestAsync("textDocument/completion", new JsonObject
        {
            ["textDocument"] = new JsonObject { ["uri"] = new Uri(path).AbsoluteUri },
            ["position"] = new JsonObject { ["line"] = line, ["character"] = character },
        });
        var items = result is JsonObject list ? list["items"] : result;
        return items!.AsArray().Select(i => i!["label"]!.GetValue<string>()).ToArray();
    }

    private async Task<JsonNode?> RequestAsync(string method, JsonObject parameters)
    {
        var id = Interlocked.Increment(ref _nextId);
        var response = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = response;
        await SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters });
        return await response.Task.WaitAsync(Timeout).ConfigureAwait(false);
    }

    private Task NotifyAsync(string method, JsonObject parameters) =>
        SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method, ["params"] = parameters });

    private async Task SendAsync(JsonObject message)
    {
        var body = Encoding.UTF8.GetBytes(message.ToJsonString());
        var header = Encoding.ASCII.GetBytes($"Content-Length: {body.Length.ToString(CultureInfo.InvariantCulture)}\r\n\r\n");
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await _input.WriteAsync(header).ConfigureAwait(false);
            await _input.WriteAsync(body).ConfigureAwait(false);
            await _input.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoop()
    {
        var output = _process.StandardOutput.BaseStream;
        try
        {
            while (await ReadMessage(output).ConfigureAwait(false) is { } message)
            {
                await Handle(message).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The server exited.
        }

        var exited = new IOException($"yaml-language-server closed its output. Its stderr:\n{Stderr}");
        foreach (var pending in _pending.Values)
        {
            pending.TrySetException(exited);
        }

        foreach (var pending in _diagnostics.Values)
        {
            pending.TrySetException(exited);
        }
    }

    private async Task Handle(JsonObject message)
    {
        var hasId = message.TryGetPropertyValue("id", out var id) && id is not null;
        var method = message["method"]?.GetValue<string>();
        if (hasId && method is not null)
        {
            // A request from the server: configuration gets the settings, everything else a null result.
            JsonNode? result = null;
            if (method == "workspace/configuration")
            {
                result = new JsonArray(message["params"]!["items"]!.AsArray().Select(item => Section(item?["section"]?.GetValue<string>())).ToArray());
            }

            await SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id!.DeepClone(), ["result"] = result });
        }
        else if (hasId)
        {
            if (_pending.TryRemove(id!.GetValue<int>(), out var pending))
            {
                if (message["error"] is { } error)
                {
                    pending.TrySetException(new InvalidOperationException($"yaml-language-server answered with an error: {error.ToJsonString()}"));
                }
                else
                {
                    pending.TrySetResult(message["result"]?.DeepClone());
                }
            }
        }
        else if (method == "textDocument/publishDiagnostics")
        {
            var uri = message["params"]!["uri"]!.GetValue<string>();
            _diagnostics.GetOrAdd(uri, _ => new(TaskCreationOptions.RunContinuationsAsynchronously))
                .TrySetResult(message["params"]!["diagnostics"]!.DeepClone().AsArray());
        }
    }

    /// <summary>A dotted section of the settings ("yaml", "yaml.validate", "[yaml]"), or null where there is none.</summary>
    private static JsonNode? Section(string? section)
    {
        JsonNode? node = Settings;
        foreach (var part in (section ?? "").Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            node = node is JsonObject obj && obj.TryGetPropertyValue(part, out var child) ? child : null;
        }

        return node?.DeepClone();
    }

    private static async Task<JsonObject?> ReadMessage(Stream stream)
    {
        var length = -1;
        var line = new StringBuilder();
        var buffer = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(buffer).ConfigureAwait(false) == 0)
            {
                return null;
            }

            if (buffer[0] != '\n')
            {
                line.Append((char)buffer[0]);
                continue;
            }

            var header = line.ToString().TrimEnd('\r');
            line.Clear();
            if (header.Length == 0)
            {
                break;
            }

            if (header.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                length = int.Parse(header["Content-Length:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        if (length < 0)
        {
            throw new IOException("a message from yaml-language-server had no Content-Length");
        }

        var body = new byte[length];
        await stream.ReadExactlyAsync(body).ConfigureAwait(false);
        return JsonNode.Parse(body)!.AsObject();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await RequestAsync("shutdown", new JsonObject()).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                await NotifyAsync("exit", new JsonObject()).ConfigureAwait(false);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is TimeoutException or IOException or InvalidOperationException)
        {
            // Ended below.
        }
        finally
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _reader.ConfigureAwait(false);
            _process.Dispose();
            _writeLock.Dispose();
        }
    }
}
