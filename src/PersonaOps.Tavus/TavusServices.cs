using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace PersonaOps.Tavus;

/// <summary>
/// Registers <see cref="TavusClient"/> as a typed HttpClient with its resilience pipeline: retries with
/// exponential backoff and jitter that honour Retry-After up to <see cref="TavusConnection.MaxDelay"/> (a
/// longer one is not retried), for 429 (any method: the request was not
/// processed), 5xx and transport failures (not for POST, whose outcome is then unknown and is settled by
/// <see cref="TavusClient.CreatePersonaAsync"/> listing first), and a timeout per attempt that covers the
/// answer's body too (<see cref="BoundedResponseHandler"/>, inside the pipeline, reads it bounded). Redirects
/// are not followed, so the API key is never sent to another host.
/// </summary>
public static class TavusServices
{
    public static IServiceCollection AddTavusClient(this IServiceCollection services, TavusConnection connection)
    {
        services.AddSingleton(connection);
        var builder = services.AddHttpClient<TavusClient>(http =>
        {
            http.BaseAddress = connection.Root;
            http.DefaultRequestHeaders.Add("x-api-key", connection.ApiKey);
            http.DefaultRequestHeaders.UserAgent.ParseAdd("personaops/1.0");
            http.Timeout = Timeout.InfiniteTimeSpan; // the pipeline's per-attempt timeout bounds each try
        });

        builder.ConfigurePrimaryHttpMessageHandler(() => connection.PrimaryHandler?.Invoke() ?? new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = 32,
        });

        // Headers and bodies are never logged: they hold the API key and secrets.
        builder.RemoveAllLoggers();

        builder.AddResilienceHandler("tavus", pipeline =>
        {
            if (connection.MaxRetries > 0)
            {
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = connection.MaxRetries,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = connection.BaseDelay,
                    MaxDelay = connection.MaxDelay,
                    ShouldRetryAfterHeader = false,
                    DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } response ? RetryAfter(response) : null),
                    ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, args.Context.GetRequestMessage()?.Method, connection.MaxDelay)),
                });
            }

            pipeline.AddTimeout(connection.AttemptTimeout);
        });

        // Inside the pipeline: each attempt's timeout covers its body too, and bodies are read bounded.
        builder.AddHttpMessageHandler(() => new BoundedResponseHandler(connection));
        return services;
    }

    /// <summary>How long an answer asks to wait before the next try (<c>Retry-After</c>, in seconds or as a date), or null.</summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta < TimeSpan.Zero ? TimeSpan.Zero : delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    /// <summary>Builds a client without a host, for tools and tests.</summary>
    public static (TavusClient Client, IDisposable Owner) CreateClient(TavusConnection connection)
    {
        var provider = new ServiceCollection().AddLogging().AddTavusClient(connection).BuildServiceProvider();
        return (provider.GetRequiredService<TavusClient>(), provider);
    }

    /// <summary>
    /// Whether an attempt's outcome is tried again: 429 (any method), 5xx and transport failures (not for
    /// POST). An answer whose Retry-After asks for longer than <paramref name="maxDelay"/> is not: waiting a
    /// day is hanging, and the error that follows says what the server asked for.
    /// </summary>
    internal static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, HttpMethod? method, TimeSpan maxDelay)
    {
        var unsafeToRepeat = method == HttpMethod.Post;
        if (outcome.Result is { } response)
        {
            var status = (int)response.StatusCode;
            var retryable = response.StatusCode == HttpStatusCode.TooManyRequests || (!unsafeToRepeat && status is 500 or 502 or 503 or 504);
            return retryable && !(RetryAfter(response) > maxDelay);
        }

        return !unsafeToRepeat && outcome.Exception is HttpRequestException or TimeoutRejectedException;
    }
}
