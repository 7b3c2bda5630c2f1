"""Fit y = sin(x) with a third-order polynomial built from nn modules (a Linear layer over the
features x, x^2, x^3, then Flatten) trained by an optimizer (RMSprop) with MSELoss, from
"Learning PyTorch with Examples".

The PyTorch original that polynomial_nn_optim.py ports; only the imports differ."""
import math
import os

import torch
from torch import nn, optim

steps = int(os.environ.get("PORT_STEPS", 2000))

x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)

p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)

model = nn.Sequential(
    nn.Linear(3, 1),
    nn.Flatten(0, 1)
)
loss_fn = nn.MSELoss(reduction='sum')

learning_rate = 1e-3
optimizer = optim.RMSprop(model.parameters(), lr=learning_rate)
for t in range(steps):
    y_pred = model(xx)

    loss = loss_fn(y_pred, y)
    if t % 100 == 99:
        print(t, loss.item())

    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

linear_layer = model[0]
print(f'Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x + '
      f'{linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3')
