using System.Globalization;
using Analytics.Schemas.Contracts;

namespace Analytics.Console.Components.Common;

/// <summary>The boxes of a signal's evidence, labelled for the frame: the track, its class and when.</summary>
public static class EvidenceBoxes
{
    public static IReadOnlyList<Frame.LabelledBox> Of(Signal signal) =>
        [.. (signal.Evidence.Boxes ?? []).Select(b => new Frame.LabelledBox(
            $"{b.TrackId}{(b.ObjectClass is { } kind ? $" ({kind})" : "")} at {b.At.ToString("HH:mm:ss.f", CultureInfo.InvariantCulture)} UTC", b.Box))];
}
