using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using PersonaOps.Sandbox.Api;
using PersonaOps.Sandbox.Hosting;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Sandbox.Tests;

/// <summary>A sandbox served over real HTTP on 127.0.0.1 with a fresh database file, stopped and deleted afterwards.</summary>
internal sealed class LiveSandbox : IAsyncDisposable
{
    private readonly PersonaStore _store;

    private LiveSandbox(string directory, PersonaStore store, SandboxApi api, SandboxServer server)
    {
        Directory = directory;
        _store = store;
        Api = api;
        Server = server;
        Client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Client.DefaultRequestHeaders.Add("x-api-key", api.Options.ApiKey);
    }

    public string Directory { get; }

    public SandboxApi Api { get; }

    public SandboxServer Server { get; }

    public HttpClient Client { get; }

    public string DatabasePath => Path.Combine(Directory, "sandbox.db");

    public static async Task<LiveSandbox> StartAsync(SandboxOptions? options = null, string? directory = null)
    {
        directory ??= Path.Combine(Path.GetTempPath(), "personaops-sandbox-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        options ??= new SandboxOptions();
        var store = new PersonaStore(Path.Combine(directory, "sandbox.db"), extraReplicas: options.ExtraReplicas);
        var api = new SandboxApi(store, options);
        var server = await SandboxServer.StartAsync(api, port: 0);
        return new LiveSandbox(directory, store, api, server);
    }

    public async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response);
    }

    public async Task<string> CreateAsync(string json)
    {
        var (status, body, _) = await SendAsync(HttpMethod.Post, "/v2/personas", json);
        status.ShouldBe(HttpStatusCode.OK, body?.ToJsonString());
        return body!["persona_id"]!.GetValue<string>();
    }

    public async ValueTask DisposeAsync() => await StopAsync(deleteFiles: true);

    public async Task StopAsync(bool deleteFiles)
    {
        Client.Dispose();
        await Server.DisposeAsync();
        _store.Dispose();
        if (deleteFiles)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
