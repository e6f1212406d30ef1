using System.Globalization;
using System.Text;

namespace Analytics.Api;

/// <summary>
/// A keyset position for lists ordered newest first by a time and then an id: the time and id of
/// the last item of a page, opaque to clients (base64url), so the next page starts right after it
/// however many items arrive meanwhile.
/// </summary>
internal sealed record KeysetCursor(DateTimeOffset At, string Id)
{
    public static string Of(DateTimeOffset at, string id) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{at.UtcTicks.ToString(CultureInfo.InvariantCulture)}|{id}"))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <returns>Null when <paramref name="text"/> is not a cursor this API returned.</returns>
    public static KeysetCursor? Parse(string text)
    {
        try
        {
            var padded = text.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(padded)).Split('|', 2);
            return parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                   && ticks is >= 0 && ticks <= DateTimeOffset.MaxValue.UtcTicks && parts[1].Length > 0
                ? new KeysetCursor(new DateTimeOffset(ticks, TimeSpan.Zero), parts[1])
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
