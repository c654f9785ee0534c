namespace PersonaOps.Tavus;

/// <summary>
/// A request to Tavus that failed: the status (null for a transport failure) and a message a person can act
/// on. Messages are built from the reason in an error answer (<c>message</c>, <c>error</c>, <c>detail</c>,
/// <c>errors</c>, or a plain-text body), redacted before it is cut to one line, never from request bodies.
/// </summary>
public class TavusApiException : Exception
{
    public TavusApiException()
    {
    }

    public TavusApiException(string message)
        : base(message)
    {
    }

    public TavusApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TavusApiException(int? status, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
    }

    public int? Status { get; }
}

/// <summary>409 <c>maker_changes</c>: the persona has unpublished edits in PAL Maker; <c>--force</c> discards them.</summary>
public sealed class MakerChangesException(string personaId)
    : TavusApiException(409, $"persona {personaId} has unpublished changes in Tavus's PAL Maker; PersonaOps did not overwrite them. Publish or discard them in the dashboard, or rerun with --force to discard them.")
{
    public string PersonaId { get; } = personaId;
}
