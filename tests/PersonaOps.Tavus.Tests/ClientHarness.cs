using PersonaOps.Sandbox;
using PersonaOps.Sandbox.Api;
using PersonaOps.Sandbox.Hosting;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Tavus.Tests;

/// <summary>PersonaOps's client against a sandbox served over real HTTP on loopback.</summary>
internal sealed class ClientHarness : IAsyncDisposable
{
    private readonly IDisposable _owner;
    private readonly string _directory;

    private ClientHarness(string directory, PersonaStore store, SandboxServer server, TavusClient client, IDisposable owner)
    {
        _directory = directory;
        Store = store;
        Server = server;
        Client = client;
        _owner = owner;
    }

    public PersonaStore Store { get; }

    public SandboxServer Server { get; }

    public TavusClient Client { get; }

    public static async Task<ClientHarness> StartAsync(SandboxOptions? options = null, Func<TavusConnection, TavusConnection>? configure = null)
    {
        options ??= new SandboxOptions { ApiKey = "test-key" };
        var directory = Path.Combine(Path.GetTempPath(), "personaops-client-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var store = new PersonaStore(Path.Combine(directory, "sandbox.db"));
        var server = await SandboxServer.StartAsync(new SandboxApi(store, options), 0);
        var connection = new TavusConnection
        {
            BaseAddress = server.BaseAddress,
            ApiKey = options.ApiKey,
            BaseDelay = TimeSpan.FromMilliseconds(5),
            MaxDelay = TimeSpan.FromMilliseconds(50),
            MaxRetries = 10,
        };
        var (client, owner) = TavusServices.CreateClient(configure?.Invoke(connection) ?? connection);
        return new ClientHarness(directory, store, server, client, owner);
    }

    public async ValueTask DisposeAsync()
    {
        _owner.Dispose();
        await Server.DisposeAsync();
        Store.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A handler that answers from a function: for server behaviour the sandbox does not produce.</summary>
internal sealed class FakeHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
{
    public List<string> Requests { get; } = [];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        lock (Requests)
        {
            Requests.Add($"{request.Method} {request.RequestUri!.PathAndQuery}");
        }

        return Task.FromResult(answer(request));
    }
}
