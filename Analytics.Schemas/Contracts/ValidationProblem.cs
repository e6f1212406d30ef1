namespace Analytics.Schemas.Contracts;

/// <summary>One thing wrong with a contract instance.</summary>
/// <param name="Path">JSON path of the offending value on the wire, e.g. <c>$.box.width</c>.</param>
/// <param name="Message">Why the value is wrong, including the value.</param>
public sealed record ValidationProblem(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}
