using System;
using System.Collections;
using System.Globalization;
using System.Management.Automation;

namespace StateCmdlets
{
    /// <summary>
    /// The feature name pipeline input stands for, as New-BatchState and Invoke-Batch read it: a
    /// string is its own name; a feature its Feature; a hashtable or any other object its Name; a
    /// number or other scalar its text. Null when the input has none.
    /// </summary>
    internal static class FeatureNameOfInput
    {
        internal static string? Of(object? input)
        {
            object? value = input is PSObject wrapped ? wrapped.BaseObject : input;
            switch (value)
            {
                case null:
                    return null;
                case string text:
                    return text;
                case FeatureState feature:
                    return feature.Feature;
                case IDictionary dictionary when dictionary.Contains("Name"):
                    return Convert.ToString(dictionary["Name"], CultureInfo.InvariantCulture);
                case IConvertible scalar when !(value is IDictionary):
                    return Convert.ToString(scalar, CultureInfo.InvariantCulture);
                default:
                    var property = PSObject.AsPSObject(input).Properties["Name"];
                    return property != null ? Convert.ToString(property.Value, CultureInfo.InvariantCulture) : null;
            }
        }
    }
}
