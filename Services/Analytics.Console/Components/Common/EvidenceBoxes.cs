using Analytics.Schemas.Contracts;

namespace Analytics.Console.Components.Common;

/// <summary>The boxes of a signal's evidence, labelled for the frame.</summary>
public static class EvidenceBoxes
{
    public static IReadOnlyList<Frame.LabelledBox> Of(Signal signal) => [];
}
