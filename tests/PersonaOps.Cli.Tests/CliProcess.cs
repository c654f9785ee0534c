using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PersonaOps.Cli.Tests;

/// <summary>
/// personaops as a real process (the built personaops.dll under dotnet), for what only a process has:
/// signals, being killed, and output read while it runs. Its stdout is collected line by line.
/// </summary>
internal sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Task _readOut;
    private readonly Task _readErr;

    private CliProcess(Process process)
    {
        _process = process;
        _readOut = PumpAsync(process.StandardOutput, _stdout);
        _readErr = PumpAsync(process.StandardError, _stderr);
    }

    public int Id => _process.Id;

    public static CliProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "personaops.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in new[] { "TAVUS_API_KEY", "TAVUS_API_URL", "PERSONAOPS_SANDBOX", "CI", "GITHUB_ACTIONS" })
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return new CliProcess(Process.Start(info)!);
    }

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Waits until stdout holds <paramref name="count"/> lines containing <paramref name="text"/>; false if the process ended first.</summary>
    public async Task<bool> WaitForLinesAsync(string text, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Stdout.Split('\n').Count(l => l.Contains(text, StringComparison.Ordinal)) >= count)
            {
                return true;
            }

            if (_process.HasExited)
            {
                return false;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"no {count} lines with '{text}' within {timeout}; stdout so far:\n{Stdout}");
    }

    /// <summary>Sends a signal by name (INT, TERM, KILL) with kill(1).</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    /// <summary>Waits for the process to end (it is killed after a minute) and returns what it wrote.</summary>
    public async Task<CliResult> WaitAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"personaops did not end within a minute; stdout:\n{Stdout}");
        }

        await Task.WhenAll(_readOut, _readErr);
        return new CliResult(_process.ExitCode, Stdout, _stderr.ToString());
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder into)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (into)
            {
                into.Append(line).Append('\n');
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
