using System.Net;

namespace PersonaOps.Tavus;

/// <summary>
/// Reads each answer's body inside the resilience pipeline, so the attempt timeout bounds the whole
/// exchange (a server that sends headers and then nothing, or trickles its body, times out like one that
/// never answers), and reads it bounded: a successful answer up to <see cref="TavusConnection.MaxResponseBytes"/>
/// (beyond, <see cref="ResponseTooLargeException"/>, before a byte more is held), an error answer only its
/// first <see cref="TavusConnection.MaxErrorBodyBytes"/> (the reason is there; the rest is never read).
/// </summary>
internal sealed class BoundedResponseHandler(TavusConnection connection) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        try
        {
            var success = response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotModified;
            var limit = success ? connection.MaxResponseBytes : connection.MaxErrorBodyBytes;
            if (success && response.Content.Headers.ContentLength > limit)
            {
                throw new ResponseTooLargeException((int)response.StatusCode, limit);
            }

            (ArraySegment<byte> Body, bool Complete) read;
            try
            {
                read = await ReadAsync(response.Content, limit, cancellationToken);
            }
            catch (IOException ex)
            {
                // As a dropped connection: retried where that is safe, an unknown outcome for a create.
                throw new HttpRequestException(HttpRequestError.ResponseEnded, "the connection broke while the answer's body was read", ex);
            }

            var (body, complete) = read;
            if (success && !complete)
            {
                throw new ResponseTooLargeException((int)response.StatusCode, limit);
            }

            var content = new BoundedContent(body);
            foreach (var header in response.Content.Headers.Where(h => !h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
            {
                content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            response.Content.Dispose();
            response.Content = content;
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>At most <paramref name="limit"/> bytes of the body, and whether that was all of it.</summary>
    private static async Task<(ArraySegment<byte> Body, bool Complete)> ReadAsync(HttpContent content, long limit, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new MemoryStream((int)Math.Min(Math.Max(content.Headers.ContentLength ?? 0, 0), limit));
        var chunk = new byte[81920];
        while (true)
        {
            var room = (int)Math.Min(chunk.Length, limit + 1 - buffer.Length);
            var read = await stream.ReadAsync(chunk.AsMemory(0, room), cancellationToken);
            if (read == 0)
            {
                return (new ArraySegment<byte>(buffer.GetBuffer(), 0, (int)buffer.Length), true);
            }

            buffer.Write(chunk, 0, read);
            if (buffer.Length > limit)
            {
                return (new ArraySegment<byte>(buffer.GetBuffer(), 0, (int)limit), false);
            }
        }
    }
}

/// <summary>A body already read whole (and bounded): its bytes can be read without another copy.</summary>
internal sealed class BoundedContent(ArraySegment<byte> bytes) : ByteArrayContent(bytes.Array!, bytes.Offset, bytes.Count)
{
    public ArraySegment<byte> Bytes { get; } = bytes;
}

/// <summary>A successful answer whose body is larger than PersonaOps reads (<see cref="TavusConnection.MaxResponseBytes"/>).</summary>
internal sealed class ResponseTooLargeException(int status, long limit)
    : Exception($"answered {status} with a body larger than {Size(limit)}, the most PersonaOps reads from one answer (--max-response-size)")
{
    public int Status { get; } = status;

    internal static string Size(long bytes) =>
        bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB" : bytes % 1024 == 0 ? $"{bytes / 1024} KiB" : $"{bytes} bytes";
}
