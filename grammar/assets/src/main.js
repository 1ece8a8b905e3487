// Glue the generated page calls: draws the diagrams and wires their behaviour.
var main = {
  drawDiagramsFromSerializedGrammar: function (grammar, div) {
    div.innerHTML = diagrams_builder.buildSyntaxDiagramsText(grammar);
    diagrams_behavior.initDiagramsBehavior();
  },
};
