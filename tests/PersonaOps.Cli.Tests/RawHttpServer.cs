using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PersonaOps.Cli.Tests;

/// <summary>
/// A loopback HTTP/1.1 server that answers each request with exactly the bytes a function gives (or never
/// answers, for null): the server behaviours no well-behaved framework produces. It counts what it received.
/// </summary>
internal sealed class RawHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<string, Stream, CancellationToken, Task> _respond;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _requests = [];
    private readonly Task _loop;

    public RawHttpServer(Func<string, string?> answer)
        : this((request, stream, token) => WriteAsync(answer(request), stream, token))
    {
    }

    /// <summary>
    /// A server that writes each answer itself, as slowly or as brokenly as it likes (headers then nothing, a
    /// body a byte at a time); the token is cancelled when the server is disposed.
    /// </summary>
    public RawHttpServer(Func<string, Stream, CancellationToken, Task> respond)
    {
        _respond = respond;
        _listener.Start();
        _loop = AcceptAsync();
    }

    public Uri BaseAddress => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>The request lines received, such as <c>GET /v2/personas?... HTTP/1.1</c>.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>A complete response with a body; Content-Length is computed.</summary>
    public static string Response(int status, string contentType, string body, string extraHeaders = "") =>
        $"HTTP/1.1 {status} X\r\nContent-Type: {contentType}\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n{extraHeaders}Connection: close\r\n\r\n{body}";

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                connections.Add(ServeAsync(client));
            }
        }
        catch (Exception ex) when (_stop.IsCancellationRequested &&
                                   ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Disposal cancels the accept and stops the listener; which of the two the pending accept sees
            // first is a race, and either way the server is stopping.
        }

        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = new StringBuilder();
                var buffer = new byte[4096];
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }

                var requestLine = head.ToString()[..head.ToString().IndexOf("\r\n", StringComparison.Ordinal)];
                lock (_requests)
                {
                    _requests.Add(requestLine);
                }

                await _respond(requestLine, stream, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
            {
            }
        }
    }

    private static async Task WriteAsync(string? response, Stream stream, CancellationToken token)
    {
        if (response is null)
        {
            await Task.Delay(Timeout.Infinite, token);
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(response!), token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
