namespace PersonaOps.Cli.Tests;

/// <summary>The last line of defence: a known secret is masked in whatever is written, however it is written.</summary>
public sealed class SecretRedactorTests
{
    private static (RedactingWriter Writer, StringWriter Inner) Writer(params string[] secrets)
    {
        var redactor = new SecretRedactor();
        foreach (var secret in secrets)
        {
            redactor.Add(secret);
        }

        var inner = new StringWriter();
        return (new RedactingWriter(inner, redactor), inner);
    }

    [Fact]
    public void ASecretSplitAcrossWrites_IsStillMasked()
    {
        var (writer, inner) = Writer("sk-secret-value");
        writer.Write("key: sk-sec");
        writer.Write('r');
        writer.Write("et-value and more\nnext line\n");

        inner.ToString().ShouldBe("key: (sensitive value) and more\nnext line\n");
    }

    [Fact]
    public void AnUnfinishedLine_IsPassedOnByFlush_Masked()
    {
        var (writer, inner) = Writer("sk-secret-value");
        writer.Write("Enter a value for sk-secret-value: ");
        inner.ToString().ShouldBeEmpty("a line is held until it ends");

        writer.Flush();

        inner.ToString().ShouldBe("Enter a value for (sensitive value): ");
    }

    [Fact]
    public void ASecretThatContainsAnother_IsMaskedWhole()
    {
        var (writer, inner) = Writer("abcdef", "abcdef-longer");
        writer.WriteLine("abcdef-longer abcdef");
        inner.ToString().ShouldBe($"(sensitive value) (sensitive value){Environment.NewLine}");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("abc")]
    public void ValuesTooShortToBeSecrets_AreLeftAlone(string value)
    {
        var (writer, inner) = Writer(value);
        writer.WriteLine("abc def");
        inner.ToString().ShouldBe($"abc def{Environment.NewLine}");
    }

    private static string Redact(string secret, string text)
    {
        var redactor = new SecretRedactor();
        redactor.Add(secret);
        return redactor.Redact(text);
    }

    /// <summary>The forms a secret takes once written as JSON (System.Text.Json escapes +, /, &lt;, ' and non-ASCII) or percent-encoded.</summary>
    [Theory]
    [InlineData("sk+abc/def", """{"key":"sk\u002Babc/def"}""", """{"key":"(sensitive value)"}""")]
    [InlineData("sk+abc/def", """{"key":"sk\u002babc\/def"}""", """{"key":"(sensitive value)"}""")]
    [InlineData("sk+abc/def", """{"key":"\u0073\u006B\u002B\u0061bc\u002Fdef"}""", """{"key":"(sensitive value)"}""")]
    [InlineData("tok\"en-42", """{"h":"tok\"en-42"}""", """{"h":"(sensitive value)"}""")]
    [InlineData("pässwört-9", """{"p":"p\u00E4ssw\u00F6rt-9"}""", """{"p":"(sensitive value)"}""")]
    [InlineData("sk+abc/def", "GET /x?key=sk%2Babc%2Fdef&y=1", "GET /x?key=(sensitive value)&y=1")]
    [InlineData("sk+abc/def", "GET /x?key=sk%2babc%2fdef", "GET /x?key=(sensitive value)")]
    [InlineData("my secret value", "body=my+secret+value&x=1", "body=(sensitive value)&x=1")]
    [InlineData("my secret value", "body=my%20secret%20value", "body=(sensitive value)")]
    [InlineData("pässwört-9", "p=p%C3%A4ssw%C3%B6rt-9", "p=(sensitive value)")]
    [InlineData("sk+abc/def", "raw sk+abc/def twice sk+abc/def", "raw (sensitive value) twice (sensitive value)")]
    public void ASecretInItsJsonOrPercentEncodedForm_IsMasked(string secret, string text, string expected) =>
        Redact(secret, text).ShouldBe(expected);

    [Theory]
    [InlineData("sk+abc/def", """{"key":"sk\u002Babc/deX"}""")]
    [InlineData("sk+abc/def", "sk%2Babc%2Fde")]
    [InlineData("secret-value", "a \\\\u0073ecret-value that is not an escape")]
    public void TextThatOnlyLooksLikeASecret_IsLeftAlone(string secret, string text) =>
        Redact(secret, text).ShouldBe(text);

    [Fact]
    public async Task Redaction_IsLinear_OnTextMadeToBeSlow()
    {
        // Near misses of every form, a megabyte of them: a quadratic scan takes minutes, a linear one milliseconds.
        var redactor = new SecretRedactor();
        redactor.Add("aaaaaaaaaaaaaaaaaaab");
        redactor.Add("%%%%%%%%%%%%%%%%%%%b");
        var text = string.Concat(Enumerable.Repeat("aaaaaaaaaaaaaaaaaaaa\\u0061%61%25", 30_000));
        var redacting = Task.Run(() => redactor.Redact(text));
        (await redacting.WaitAsync(TimeSpan.FromSeconds(20))).ShouldBe(text, "redaction did not finish in 20 s, or changed the text");
    }
}
