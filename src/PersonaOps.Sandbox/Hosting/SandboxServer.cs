using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PersonaOps.Sandbox.Api;

namespace PersonaOps.Sandbox.Hosting;

/// <summary>
/// Serves a <see cref="SandboxApi"/> over HTTP with Kestrel, on 127.0.0.1 only. Port 0 picks a free port;
/// <see cref="BaseAddress"/> says which.
/// </summary>
public sealed class SandboxServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SandboxServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>Starts serving; <paramref name="log"/> receives one line per request.</summary>
    public static async Task<SandboxServer> StartAsync(SandboxApi api, int port, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.Listen(IPAddress.Loopback, port);
            options.AddServerHeader = false;
            options.Limits.MaxRequestBodySize = api.Options.MaxBodyBytes + 1;
        });

        var app = builder.Build();
        app.Run(context => HandleAsync(api, context, log));
        await app.StartAsync(cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SandboxServer(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
    }

    /// <summary>Completes when the server stops.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => ((IHost)_app).WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task HandleAsync(SandboxApi api, HttpContext context, Action<string>? log)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        byte[] body;
        try
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            body = buffer.ToArray();
        }
        catch (BadHttpRequestException)
        {
            await WriteAsync(context, SandboxResponse.Error(413, "Request body too large"));
            return;
        }

        var query = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        var request = new SandboxRequest(context.Request.Method, context.Request.Path.Value ?? "/", query,
            name => context.Request.Headers.TryGetValue(name, out var value) ? value.ToString() : null, body);
        var response = await api.HandleAsync(request, context.RequestAborted);

        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        log?.Invoke($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString} -> {(response.DropConnection ? "dropped" : response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture))} ({elapsed:0} ms)");

        if (response.DropConnection)
        {
            context.Abort();
            return;
        }

        await WriteAsync(context, response);
    }

    private static async Task WriteAsync(HttpContext context, SandboxResponse response)
    {
        context.Response.StatusCode = response.Status;
        foreach (var (name, value) in response.Headers)
        {
            context.Response.Headers[name] = value;
        }

        if (response.Body is not null && response.Status is not (204 or 304))
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(response.Body.ToJsonString(), Encoding.UTF8);
        }
    }
}
