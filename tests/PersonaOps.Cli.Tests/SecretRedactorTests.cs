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
}
