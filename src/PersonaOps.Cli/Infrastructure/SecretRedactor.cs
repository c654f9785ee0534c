using System.Text;

namespace PersonaOps.Cli;

/// <summary>
/// Defence in depth for secrets. PersonaOps's own messages never hold a secret; but some text it prints
/// comes from elsewhere, such as an API error that echoes a key back. Every line written to stdout and
/// stderr passes through a <see cref="RedactingWriter"/>, which replaces each secret value known here
/// (TAVUS_API_KEY, the variables the manifests' secret fields reference, secrets read from the account)
/// with "(sensitive value)".
/// </summary>
public sealed class SecretRedactor
{
    /// <summary>Shorter values are not redacted: they would garble ordinary text and are no real secret.</summary>
    public const int MinimumLength = 6;

    private const string Mask = "(sensitive value)";

    private readonly Lock _gate = new();
    private string[] _secrets = [];

    public void Add(string? value)
    {
        if (value is null || value.Trim().Length < MinimumLength)
        {
            return;
        }

        lock (_gate)
        {
            if (!_secrets.Contains(value, StringComparer.Ordinal))
            {
                // Longest first, so a secret that contains another is masked whole.
                _secrets = [.. _secrets.Append(value).OrderByDescending(s => s.Length)];
            }
        }
    }

    public string Redact(string text)
    {
        foreach (var secret in _secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                text = text.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }
}

/// <summary>
/// A writer that passes text on a line at a time, redacted, so that a secret split across two writes is
/// still seen whole. <see cref="Flush"/> passes on an unfinished line too (a prompt).
/// </summary>
internal sealed class RedactingWriter(TextWriter inner, SecretRedactor redactor) : TextWriter(inner.FormatProvider)
{
    private readonly StringBuilder _pending = new();

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        lock (_pending)
        {
            _pending.Append(value);
            if (value == '\n')
            {
                PassOn(_pending.Length);
            }
        }
    }

    public override void Write(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        lock (_pending)
        {
            _pending.Append(value);
            if (value.Contains('\n', StringComparison.Ordinal))
            {
                var text = _pending.ToString();
                PassOn(text.LastIndexOf('\n') + 1);
            }
        }
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void WriteLine(string? value) => Write(value + NewLine);

    public override void Flush()
    {
        lock (_pending)
        {
            PassOn(_pending.Length);
            inner.Flush();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Flush();
        }

        base.Dispose(disposing);
    }

    private void PassOn(int length)
    {
        if (length == 0)
        {
            return;
        }

        inner.Write(redactor.Redact(_pending.ToString(0, length)));
        _pending.Remove(0, length);
    }
}
