using System.Net;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using PersonaOps.Sandbox.Api;

namespace PersonaOps.Sandbox.Hosting;

/// <summary>
/// An <see cref="HttpMessageHandler"/> that answers from a <see cref="SandboxApi"/> in the same process:
/// PersonaOps's HTTP client talks to the embedded sandbox with no port and no server. A dropped connection
/// surfaces as the <see cref="HttpRequestException"/> a real one would raise.
/// </summary>
public sealed class InProcessHandler(SandboxApi api) : HttpMessageHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("the request has no URI");
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var query = QueryHelpers.ParseQuery(uri.Query).ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        string? Header(string name) =>
            request.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
            : request.Content?.Headers.TryGetValues(name, out values) == true ? string.Join(",", values)
            : null;

        var response = await api.HandleAsync(new SandboxRequest(request.Method.Method, uri.AbsolutePath, query, Header, body), cancellationToken);
        if (response.DropConnection)
        {
            throw new HttpRequestException(HttpRequestError.ResponseEnded, "The sandbox closed the connection without answering (injected fault).",
                new IOException("connection closed"));
        }

        var message = new HttpResponseMessage((HttpStatusCode)response.Status) { RequestMessage = request };
        if (response.Body is not null && response.Status is not (204 or 304))
        {
            message.Content = new StringContent(response.Body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        foreach (var (name, value) in response.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        return message;
    }
}
