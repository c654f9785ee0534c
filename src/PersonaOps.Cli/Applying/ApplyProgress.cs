using System.Globalization;
using System.Text;

namespace PersonaOps.Cli.Applying;

/// <summary>
/// A status line on stderr while a long apply runs (<c>personaops: applying: 12/30 done, 4 in flight,
/// 8 s elapsed</c>), rewritten in place at most a few times a second, for a person watching a terminal.
/// Nothing at all when stderr is not a terminal (a CI log): there the lines and summary say it all. The
/// line appears only once the apply has run for <see cref="Delay"/>. Everything the command writes goes
/// through <see cref="Wrap"/>, which erases the status line first, so stdout (the product) and the other
/// messages never mix with it; the next tick draws it again below them.
/// </summary>
internal sealed class ApplyProgress : IDisposable
{
    /// <summary>How long an apply runs before it shows progress: a short one never does.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan MinimumInterval = TimeSpan.FromMilliseconds(200);

    private readonly Lock _gate = new();
    private readonly TextWriter _error;
    private readonly TimeProvider _clock;
    private readonly bool _enabled;
    private ITimer? _timer;
    private int _total;
    private long _started;
    private int _done;
    private int _inFlight;
    private TimeSpan? _drawnAt;
    private bool _running;
    private bool _shown;

    /// <param name="error">The terminal's stderr, unwrapped.</param>
    /// <param name="enabled">True when stderr is a terminal; otherwise this never writes anything.</param>
    public ApplyProgress(TextWriter error, TimeProvider clock, bool enabled)
    {
        _error = error;
        _clock = clock;
        _enabled = enabled;
    }

    /// <summary>A writer that passes everything on to <paramref name="inner"/>, erasing the status line first.</summary>
    public TextWriter Wrap(TextWriter inner) => _enabled ? new ClearingWriter(inner, this) : inner;

    /// <summary>Starts the clock for <paramref name="total"/> changes.</summary>
    public void Begin(int total)
    {
        lock (_gate)
        {
            _total = total;
            _started = _clock.GetTimestamp();
            _running = true;
            if (_enabled)
            {
                _timer = _clock.CreateTimer(_ => Draw(force: true), null, Delay, TimeSpan.FromSeconds(1));
            }
        }
    }

    public void Started()
    {
        Interlocked.Increment(ref _inFlight);
        Draw(force: false);
    }

    public void Finished()
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Increment(ref _done);
        Draw(force: false);
    }

    /// <summary>The status line's text.</summary>
    public string Status() => string.Create(CultureInfo.InvariantCulture,
        $"personaops: applying: {Volatile.Read(ref _done)}/{_total} done, {Math.Max(0, Volatile.Read(ref _inFlight))} in flight, {(int)_clock.GetElapsedTime(_started).TotalSeconds} s elapsed");

    /// <summary>Stops and erases the status line: what follows (the summary) is printed on a clean line.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _running = false;
            _timer?.Dispose();
            _timer = null;
            Erase();
        }
    }

    private void Draw(bool force)
    {
        if (!_enabled)
        {
            return;
        }

        lock (_gate)
        {
            var now = _clock.GetElapsedTime(_started);
            if (!_running || now < Delay || (!force && _drawnAt is { } drawn && now - drawn < MinimumInterval))
            {
                return;
            }

            // Carriage return, the text, then erase to the end of the line (a shorter text leaves no tail).
            _error.Write($"\r{Status()}\u001b[K");
            _error.Flush();
            _shown = true;
            _drawnAt = now;
        }
    }

    private void Erase()
    {
        if (_shown)
        {
            _error.Write("\r\u001b[K");
            _error.Flush();
            _shown = false;
        }
    }

    /// <summary>Erases the status line before each write; the line is drawn again at the next tick.</summary>
    private sealed class ClearingWriter(TextWriter inner, ApplyProgress progress) : TextWriter(inner.FormatProvider)
    {
        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            lock (progress._gate)
            {
                progress.Erase();
                inner.Write(value);
            }
        }

        public override void Write(string? value)
        {
            if (string.IsNullOrEmpty(value))
            {
                return;
            }

            lock (progress._gate)
            {
                progress.Erase();
                inner.Write(value);

                // Lines written to the terminal: flush them now, so they show before the status line returns.
                inner.Flush();
            }
        }

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        public override void WriteLine(string? value) => Write(value + NewLine);

        public override void Flush()
        {
            lock (progress._gate)
            {
                inner.Flush();
            }
        }
    }
}
