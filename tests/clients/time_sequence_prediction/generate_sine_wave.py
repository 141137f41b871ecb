import numpy as np
import torch

np.random.seed(2)

T = 20
L = 100  # EDIT (size): was 1000
N = 10  # EDIT (size): was 100

x = np.empty((N, L), 'int64')
x[:] = np.array(range(L)) + np.random.randint(-4 * T, 4 * T, N).reshape(N, 1)
data = np.sin(x / 1.0 / T).astype('float64')
torch.save(data, open('traindata.pt', 'wb'))
