using PersonaOps.Cli.Applying;

namespace PersonaOps.Cli.Tests;

/// <summary>The progress line on its own, on a clock the test moves: when it shows, and that nothing else mixes with it.</summary>
public sealed class ApplyProgressTests
{
    /// <summary>A clock that moves only when told. Its timers never fire: the events draw the line.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new NoTimer();

        private sealed class NoTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    [Fact]
    public void AShortApply_ShowsNothing_AndALongOneShowsDoneInFlightAndElapsed()
    {
        var clock = new ManualClock();
        using var error = new StringWriter();
        using var progress = new ApplyProgress(error, clock, enabled: true);
        progress.Begin(3);
        progress.Started();
        progress.Started();
        error.ToString().ShouldBeEmpty("under a second: no line");

        clock.Advance(TimeSpan.FromSeconds(2));
        progress.Finished();

        error.ToString().ShouldBe("\rpersonaops: applying: 1/3 done, 1 in flight, 2 s elapsed\u001b[K");
    }

    [Fact]
    public void RedrawsAreThrottled()
    {
        var clock = new ManualClock();
        using var error = new StringWriter();
        using var progress = new ApplyProgress(error, clock, enabled: true);
        progress.Begin(100);
        clock.Advance(TimeSpan.FromSeconds(2));
        for (var i = 0; i < 50; i++)
        {
            progress.Started();
            progress.Finished();
        }

        error.ToString().Split('\r', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(1, "fifty events in no time: one line drawn");
        clock.Advance(TimeSpan.FromMilliseconds(300));
        progress.Started();
        error.ToString().Split('\r', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(2);
    }

    [Fact]
    public void EverythingWrittenThroughItsWriters_ErasesTheLineFirst_AndTheEndErasesIt()
    {
        var clock = new ManualClock();
        using var error = new StringWriter();
        using var output = new StringWriter();
        var progress = new ApplyProgress(error, clock, enabled: true);
        var stdout = progress.Wrap(output);
        var stderr = progress.Wrap(error);
        progress.Begin(2);
        clock.Advance(TimeSpan.FromSeconds(2));
        progress.Started();
        stdout.WriteLine("persona.coach: created p1");
        stderr.WriteLine("personaops: warning: something");
        progress.Dispose();

        output.ToString().ShouldBe("persona.coach: created p1\n");
        error.ToString().ShouldBe("\rpersonaops: applying: 0/2 done, 1 in flight, 2 s elapsed\u001b[K\r\u001b[Kpersonaops: warning: something\n");
    }

    [Fact]
    public void WhenStderrIsNoTerminal_ItWritesNothing_AndItsWritersAreTheStreamsThemselves()
    {
        var clock = new ManualClock();
        using var error = new StringWriter();
        using var progress = new ApplyProgress(error, clock, enabled: false);
        progress.Begin(1);
        clock.Advance(TimeSpan.FromMinutes(5));
        progress.Started();
        progress.Finished();
        progress.Dispose();

        error.ToString().ShouldBeEmpty();
        progress.Wrap(error).ShouldBeSameAs(error);
    }
}
