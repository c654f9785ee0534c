using System.Runtime.InteropServices;

namespace PersonaOps.Cli;

/// <summary>
/// Ctrl+C and SIGTERM, in steps, as Terraform users expect. The first asks the command to stop:
/// <see cref="Stopping"/> is cancelled, so no new request starts, while requests already in flight may
/// finish for up to <see cref="GracePeriod"/>. The second (or the end of the grace period) cancels
/// <see cref="Abandoning"/>: what is still in flight is abandoned and the command reports what it knows.
/// A third lets the runtime end the process at once.
/// </summary>
/// <remarks>
/// GitHub Actions cancels a job with SIGINT, then SIGTERM 7.5 s later, then SIGKILL: the grace period is
/// shorter than the gap to SIGKILL, so the summary is always printed.
/// </remarks>
public sealed class Interruption : IDisposable
{
    /// <summary>How long requests in flight may take to finish after the first interrupt.</summary>
    public static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abandon = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly TextWriter? _error;
    private int _count;

    private Interruption(TextWriter? error) => _error = error;

    /// <summary>Never interrupted: for in-process runs that nobody signals.</summary>
    public static Interruption None { get; } = new(null);

    /// <summary>Cancelled by the first interrupt: start nothing new.</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>Cancelled by the second interrupt, or when the grace period ends: abandon what is in flight.</summary>
    public CancellationToken Abandoning => _abandon.Token;

    /// <summary>Listens for SIGINT (Ctrl+C) and SIGTERM until disposed; says on <paramref name="error"/> what each one does.</summary>
    public static Interruption FromSignals(TextWriter error)
    {
        var interruption = new Interruption(error);
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            interruption._registrations.Add(PosixSignalRegistration.Create(signal, context => context.Cancel = interruption.Request()));
        }

        return interruption;
    }

    /// <summary>Records one interrupt. False once the process should be left to end by itself.</summary>
    public bool Request()
    {
        switch (Interlocked.Increment(ref _count))
        {
            case 1:
                _error?.WriteLine($"personaops: interrupt received: starting nothing new; requests in flight have {GracePeriod.TotalSeconds:F0} s to finish. Interrupt again to abandon them.");
                _stop.Cancel();
                _abandon.CancelAfter(GracePeriod);
                return true;
            case 2:
                _error?.WriteLine("personaops: second interrupt: abandoning the requests in flight.");
                _abandon.Cancel();
                return true;
            default:
                return false;
        }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        if (this != None)
        {
            _stop.Dispose();
            _abandon.Dispose();
        }
    }
}
