using Microsoft.AspNetCore.Components;

namespace Analytics.Console.Components.Common;

/// <summary>What the console's forms do alike: an empty field means "not given", a checkbox adds to or removes from a set.</summary>
public static class Forms
{
    /// <summary>The field's text trimmed, or null when it is empty or blank (the API then applies its default).</summary>
    public static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>Adds <paramref name="value"/> when the checkbox was ticked, removes it when it was cleared.</summary>
    public static void Toggle<T>(ISet<T> set, T value, ChangeEventArgs e)
    {
        if (e.Value is true)
        {
            set.Add(value);
        }
        else
        {
            set.Remove(value);
        }
    }
}
